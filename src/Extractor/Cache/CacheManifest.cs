using System.Text.Json.Serialization;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// <c>manifest.json</c> of a feature cache. Row i of the concatenated parts belongs to
/// <see cref="Items"/>[i]. Several parts (shards made on different machines) read as one.
/// Deterministic: no timestamps, so the same inputs give a byte-identical file.
/// </summary>
internal sealed record CacheManifest
{
    public const string FormatName = "pipeline-feature-cache";
    public const int CurrentFormatVersion = 1;

    public string Format { get; init; } = FormatName;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    public string ToolVersion { get; init; } = ToolInfo.Version;

    /// <summary>Split name (train, validation, test) or empty for a flat dataset.</summary>
    public string Split { get; init; } = "";

    public required BackboneInfo Backbone { get; init; }

    public required Preprocessing Preprocessing { get; init; }

    public required FeatureInfo Features { get; init; }

    public required IReadOnlyList<string> Classes { get; init; }

    public required IReadOnlyList<CachePart> Parts { get; init; }

    public required IReadOnlyList<CacheItem> Items { get; init; }

    public IReadOnlyList<SkippedItem> Skipped { get; init; } = [];

    /// <summary>Random views cached besides each clean image (training split), or null.</summary>
    public Augmentation? Augmentation { get; init; }

    /// <summary>True when each image also has its horizontal mirror cached (for test-time flips).</summary>
    public bool Mirrors { get; init; }

    /// <summary>
    /// SHA-256 of the whole split's listing (relative path and label of every image, sorted), before
    /// sharding: shards of one split share it, so <c>merge</c> refuses a shard of another folder.
    /// </summary>
    public string? Listing { get; init; }

    /// <summary>"I/N" for one shard of a split, written by <c>extract --shard</c>; null for a whole split.</summary>
    public string? Shard { get; init; }

    /// <summary>
    /// The folder the items' paths are relative to, as extract saw it (absolute): where a report finds the
    /// images. Informational only: a cache moved to another machine still reads, and never compares it.
    /// </summary>
    public string? Source { get; init; }

    /// <summary>The split rule and sample that chose this split's images from a flat folder (<see cref="SplitRule"/>); null for split folders.</summary>
    public string? Selection { get; init; }

    /// <summary>
    /// True when an image may have several labels (<c>extract --label-separator</c>): <see cref="Classes"/> is the
    /// label vocabulary and each part's <see cref="CachePart.Targets"/> holds the multi-hot rows. Null (left out
    /// of the file) for an ordinary one-label cache, whose manifest is unchanged.
    /// </summary>
    public bool? MultiLabel { get; init; }

    /// <summary>The feature space of these rows: what a head trained on them, or a run extending them, must share.</summary>
    [JsonIgnore]
    public FeatureSpace Space => new()
    {
        Backbone = Backbone, Preprocessing = Preprocessing, Dtype = Features.Dtype, Classes = Classes,
        Views = FeatureSpace.ViewsOf(Augmentation, Mirrors), Selection = Selection ?? FeatureSpace.FolderSelection,
    };

}
