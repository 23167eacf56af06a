namespace Pipeline;

/// <summary>Which backbone made the features: a cache is only extended or read by the same one.</summary>
public sealed record BackboneInfo
{
    /// <summary>The preset name, or the model file's name without its extension.</summary>
    public required string Name { get; init; }

    /// <summary>The model file's name.</summary>
    public required string File { get; init; }

    /// <summary>SHA-256 of the ONNX file as given (before any in-memory rewrite), and of each external data file it reads, when it has any.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The graph tensor the features are read from.</summary>
    public required string FeatureTensor { get; init; }

    /// <summary>True for a model with random weights made by <c>models synth</c>: never report accuracy from it.</summary>
    public bool Synthetic { get; init; }

    /// <summary>The arithmetic the features were computed in: null for fp32 (every cache before precisions existed), else "tf32", "fp16" or "int8".</summary>
    public Precision? Precision { get; init; }

    /// <summary>int8 only: the quantized file the features came from and its calibration (the calibration is part of the identity).</summary>
    public QuantizedBackbone? Quantized { get; init; }

    /// <summary>The pooling applied to a spatial feature map inside the graph; null: none (the map flattened, as every cache before pooling existed).</summary>
    public Pooling? Pool { get; init; }

    /// <summary>The pair a head must match: same weights, precision and pooling (and, checked beside it, preprocessing).</summary>
    public string Describe() => $"{Name} (sha256 {Extractor.Files.Sha256.Short(Sha256)}{(Precision is { } p ? $", {SettingNames.Of(p)}" : "")}{(Quantized is { } q ? $" calibrated {q.Calibration}" : "")}{(Pool is { } pool and not Pooling.Flatten ? $", {SettingNames.Of(pool)} pool" : "")})";
}
