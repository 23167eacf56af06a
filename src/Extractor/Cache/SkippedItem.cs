namespace Pipeline.Extractor.Cache;

/// <summary>A file that was not cached, why, and its size and hash when it was read (so a repaired file is retried).</summary>
public sealed record SkippedItem(string Path, string Reason)
{
    public long Bytes { get; init; }

    public string Sha256 { get; init; } = "";
}
