namespace Pipeline.Extractor.Backbones;

/// <summary>What a quantization did, and how close its features are to fp32's.</summary>
/// <param name="Output">The int8 model file written.</param>
/// <param name="Source">The source model's file name.</param>
/// <param name="Images">Calibration images that decoded.</param>
/// <param name="Skipped">Sampled files that did not decode, each with its path and reason.</param>
/// <param name="WeightedOps">Convolutions and matrix products whose weights became int8.</param>
/// <param name="IntegerKernels">Of those, how many ONNX Runtime's optimized graph runs as integer kernels (QLinearConv, QGemm, …).</param>
/// <param name="FloatWeightedOps">Convolutions and matrix products the optimized graph still runs in float, by op and name.</param>
/// <param name="DroppedActivations">Relu and Clip nodes the uint8 ranges replace.</param>
/// <param name="FloatOps">Other op types ONNX Runtime runs in float (cheap ones, such as a mean subtraction, an Add no integer kernel reads, the final pool).</param>
/// <param name="KeptFloat">Convolutions and matrix products left in float on purpose, because quantizing them cost accuracy (median cosine to fp32 under 0.99).</param>
/// <param name="FidelityImages">Images outside the calibration sample on which fidelity was measured.</param>
/// <param name="MedianCosine">Median cosine of int8 to fp32 features on those images.</param>
/// <param name="MinCosine">Lowest cosine of int8 to fp32 features on those images.</param>
/// <param name="Seconds">Wall time of the whole quantization.</param>
/// <param name="Description">How the file was made, as its <c>pipeline.quantization</c> metadata says.</param>
public sealed record QuantizationReport(
    string Output, string Source, int Images, IReadOnlyList<string> Skipped, int WeightedOps, int IntegerKernels, IReadOnlyList<string> FloatWeightedOps,
    int DroppedActivations, IReadOnlyList<string> FloatOps, IReadOnlyList<string> KeptFloat, int FidelityImages, double MedianCosine, double MinCosine, double Seconds, string Description);
