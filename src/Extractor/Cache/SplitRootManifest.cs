namespace Pipeline.Extractor.Cache;

/// <summary><c>manifest.json</c> at the root of a cache made from split folders.</summary>
internal sealed record SplitRootManifest
{
    public string Format { get; init; } = CacheManifest.FormatName + "-splits";

    public int FormatVersion { get; init; } = CacheManifest.CurrentFormatVersion;

    public required IReadOnlyList<string> Splits { get; init; }

    public required IReadOnlyList<string> Classes { get; init; }
}
