namespace Pipeline;

/// <summary>A file that was not cached, why, and its size and hash when it was read (so a repaired file is retried).</summary>
public sealed record SkippedItem(string Path, string Reason)
{
    /// <summary>The file's size when it was read; 0 when it could not be read.</summary>
    public long Bytes { get; init; }

    /// <summary>The file's SHA-256 when it was read (empty when it could not be).</summary>
    public string Sha256 { get; init; } = "";
}
