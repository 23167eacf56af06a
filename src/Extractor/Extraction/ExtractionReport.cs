using Pipeline.Extractor.Cache;

namespace Pipeline.Extractor.Extraction;

/// <summary>Seconds spent per stage, summed over the threads that ran it.</summary>
public sealed record StageSeconds(double Read, double Decode, double Preprocess, double Inference, double Write);

/// <summary>The outcome of one split.</summary>
public sealed record SplitReport(
    string Split, string CacheDir, int Images, int Computed, int Reused, IReadOnlyList<SkippedItem> Skipped,
    double Seconds, StageSeconds Stages)
{
    public double ImagesPerSecond => Computed == 0 ? 0 : Computed / Math.Max(Seconds, 1e-9);
}

/// <summary>The outcome of an <c>extract</c> run.</summary>
public sealed record ExtractionReport(
    string Cache, BackboneInfo Backbone, string Device, int Batch, int Workers, IReadOnlyList<SplitReport> Splits)
{
    public int Computed => Splits.Sum(s => s.Computed);

    public int SkippedCount => Splits.Sum(s => s.Skipped.Count);

    public double Seconds => Splits.Sum(s => s.Seconds);

    public double ImagesPerSecond => Computed == 0 ? 0 : Computed / Math.Max(Seconds, 1e-9);
}
