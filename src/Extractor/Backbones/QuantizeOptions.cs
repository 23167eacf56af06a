namespace Pipeline.Extractor.Backbones;

/// <summary>What <c>models quantize</c> does: which backbone, calibrated on which images, written where.</summary>
internal sealed record QuantizeOptions
{
    public required BackboneSpec Backbone { get; init; }

    /// <summary>A folder of images (class folders or not): a deterministic sample of them calibrates the activation ranges.</summary>
    public required string Calibration { get; init; }

    public required string Output { get; init; }

    /// <summary>Calibration images: the sample's size.</summary>
    public int Images { get; init; } = DefaultImages;

    /// <summary>Images after the calibration sample that measure fidelity (cosine of int8 to fp32 features).</summary>
    public int Holdout { get; init; } = 64;

    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>7 (the default): no u8×s8 pair overflows int16 on AVX2 without VNNI, so every CPU computes the same; 8: full range.</summary>
    public int WeightBits { get; init; } = 7;

    /// <summary>Leave in float the nodes whose quantization costs accuracy (the default); false quantizes every one (for comparison).</summary>
    public bool KeepFloatSearch { get; init; } = true;

    public const int DefaultImages = 256;
}
