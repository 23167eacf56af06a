namespace Pipeline;

/// <summary>One split that <see cref="Caches.Merge"/> joined.</summary>
public sealed record MergedSplit
{
    /// <summary>The split's name, or empty for a single cache.</summary>
    public required string Split { get; init; }

    /// <summary>Shards joined.</summary>
    public required int Shards { get; init; }

    /// <summary>Rows the merged cache holds.</summary>
    public required int Rows { get; init; }
}
