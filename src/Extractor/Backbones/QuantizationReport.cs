namespace Pipeline;

/// <summary>What a quantization did, and how close its features are to fp32's.</summary>
public sealed record QuantizationReport
{
    /// <summary>The int8 model file written.</summary>
    public required string Output { get; init; }

    /// <summary>The source model's file name.</summary>
    public required string Source { get; init; }

    /// <summary>Calibration images that decoded.</summary>
    public required int Images { get; init; }

    /// <summary>Sampled files that did not decode, each with its path and reason.</summary>
    public required IReadOnlyList<string> Skipped { get; init; }

    /// <summary>Convolutions and matrix products whose weights became int8.</summary>
    public required int WeightedOps { get; init; }

    /// <summary>Of those, how many ONNX Runtime's optimized graph runs as integer kernels (QLinearConv, QGemm, …).</summary>
    public required int IntegerKernels { get; init; }

    /// <summary>Convolutions and matrix products the optimized graph still runs in float, by op and name.</summary>
    public required IReadOnlyList<string> FloatWeightedOps { get; init; }

    /// <summary>Relu and Clip nodes the uint8 ranges replace.</summary>
    public required int DroppedActivations { get; init; }

    /// <summary>Other op types ONNX Runtime runs in float (cheap ones, such as a mean subtraction, an Add no integer kernel reads, the final pool).</summary>
    public required IReadOnlyList<string> FloatOps { get; init; }

    /// <summary>Convolutions and matrix products left in float on purpose, because quantizing them cost accuracy (median cosine to fp32 under 0.99).</summary>
    public required IReadOnlyList<string> KeptFloat { get; init; }

    /// <summary>Images outside the calibration sample on which fidelity was measured.</summary>
    public required int FidelityImages { get; init; }

    /// <summary>Median cosine of int8 to fp32 features on those images.</summary>
    public required double MedianCosine { get; init; }

    /// <summary>Lowest cosine of int8 to fp32 features on those images.</summary>
    public required double MinCosine { get; init; }

    /// <summary>Wall time of the whole quantization.</summary>
    public required double Seconds { get; init; }

    /// <summary>How the file was made, as its <c>pipeline.quantization</c> metadata says.</summary>
    public required string Description { get; init; }
}
