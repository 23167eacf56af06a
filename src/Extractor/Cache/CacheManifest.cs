using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// <c>manifest.json</c> of a feature cache. Row i of the concatenated parts belongs to
/// <see cref="Items"/>[i]. Several parts (shards made on different machines) read as one.
/// Deterministic: no timestamps, so the same inputs give a byte-identical file.
/// </summary>
public sealed record CacheManifest
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

    /// <summary>The feature space of these rows: what a head trained on them, or a run extending them, must share.</summary>
    [JsonIgnore]
    public FeatureSpace Space => new()
    {
        Backbone = Backbone, Preprocessing = Preprocessing, Dtype = Features.Dtype, Classes = Classes,
        Views = FeatureSpace.ViewsOf(Augmentation, Mirrors), Selection = Selection ?? FeatureSpace.FolderSelection,
    };

    /// <summary>How manifests (cache and head) are written: camelCase, indented, enums as names, nulls left out.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

/// <summary>Which backbone made the features: a cache is only extended or read by the same one.</summary>
public sealed record BackboneInfo
{
    public required string Name { get; init; }

    public required string File { get; init; }

    /// <summary>SHA-256 of the ONNX file as given (before any in-memory rewrite).</summary>
    public required string Sha256 { get; init; }

    public required string FeatureTensor { get; init; }

    /// <summary>True for a model with random weights made by <c>models synth</c>: never report accuracy from it.</summary>
    public bool Synthetic { get; init; }

    /// <summary>The arithmetic the features were computed in: null for fp32 (every cache before precisions existed), "tf32" or "fp16".</summary>
    public string? Precision { get; init; }

    /// <summary>The pair a head must match: same weights and same preprocessing.</summary>
    public string Describe() => $"{Name} (sha256 {Sha256[..12]}{(Precision is { } p ? $", {p}" : "")})";
}

public sealed record FeatureInfo
{
    /// <summary>Shape of one row, e.g. [512, 1, 1] or [512, 7, 7]; rows are stored flattened.</summary>
    public required IReadOnlyList<int> Shape { get; init; }

    /// <summary>float32 or float16.</summary>
    public required string Dtype { get; init; }

    [JsonIgnore]
    public int Length => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>One stored part: a features file (rows, length) and a labels file (rows,) int32.</summary>
public sealed record CachePart(string Features, string Labels, int Rows);

/// <summary>
/// One cached row: an image, clean (<see cref="Kind"/> null), one of its random views
/// (<c>augmented</c>, <see cref="View"/> 1…K), or its horizontal <c>mirror</c>.
/// </summary>
public sealed record CacheItem(string Path, int Label, long Bytes, string Sha256)
{
    public const string Augmented = "augmented";
    public const string Mirror = "mirror";

    public int View { get; init; }

    public string? Kind { get; init; }

    /// <summary>Identity of the row within its split: path, plus the view for a non-clean row.</summary>
    public string RowId => RowIdOf(Path, Kind, View);

    public static string RowIdOf(string path, string? kind, int view) =>
        kind is null ? path : kind == Mirror ? path + "#mirror" : $"{path}#view{view}";
}

/// <summary>A file that was not cached, why, and its size and hash when it was read (so a repaired file is retried).</summary>
public sealed record SkippedItem(string Path, string Reason)
{
    public long Bytes { get; init; }

    public string Sha256 { get; init; } = "";
}

/// <summary><c>manifest.json</c> at the root of a cache made from split folders.</summary>
public sealed record SplitRootManifest
{
    public string Format { get; init; } = CacheManifest.FormatName + "-splits";

    public int FormatVersion { get; init; } = CacheManifest.CurrentFormatVersion;

    public required IReadOnlyList<string> Splits { get; init; }

    public required IReadOnlyList<string> Classes { get; init; }
}

public static class ToolInfo
{
    public static string Version { get; } =
        typeof(ToolInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
