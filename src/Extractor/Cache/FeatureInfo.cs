using System.Text.Json.Serialization;

namespace Pipeline.Extractor.Cache;

/// <summary>The shape and storage type of one cached feature row.</summary>
internal sealed record FeatureInfo
{
    /// <summary>Shape of one row, e.g. [512, 1, 1] or [512, 7, 7]; rows are stored flattened.</summary>
    public required IReadOnlyList<int> Shape { get; init; }

    /// <summary>How rows are stored: "float32" or "float16" in the manifest.</summary>
    public required FeatureDtype Dtype { get; init; }

    [JsonIgnore]
    public int Length => Shape.Aggregate(1, (a, b) => a * b);
}
