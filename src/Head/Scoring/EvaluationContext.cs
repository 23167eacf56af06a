namespace Pipeline.Head.Scoring;

/// <summary>What an evaluation report names beside the figures: the head and cache it came from, the cache's image folder (for thumbnails), its backbone and preprocessing.</summary>
internal sealed record EvaluationContext(string Head, string Cache, string? Source, string Backbone, string Preprocessing);
