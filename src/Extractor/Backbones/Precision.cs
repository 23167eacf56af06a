namespace Pipeline;

/// <summary>The arithmetic the backbone runs in. The cache's dtype (how rows are stored) is a separate choice.</summary>
public enum Precision
{
    /// <summary>IEEE float32 throughout; on CUDA, TF32 tensor cores are switched off.</summary>
    Fp32,

    /// <summary>CUDA only: float32 tensors, convolutions and matrix products on TF32 tensor cores (10-bit mantissa). The CPU runs fp32.</summary>
    Tf32,

    /// <summary>
    /// The graph converted to float16 inside the tool (weights and every activation), float32 at its input and
    /// output. On CUDA it runs on fp16 tensor cores; on the CPU, where ONNX Runtime has no fp16 convolutions,
    /// the same rounding is emulated (fp16 weights, every activation rounded to fp16, fp32 arithmetic).
    /// </summary>
    Fp16,

    /// <summary>
    /// CPU only: the backbone quantized to int8 in the tool (QDQ, as <c>models quantize</c> writes it), calibrated on a
    /// deterministic sample of the training images about to be extracted; the int8 file is kept beside the cache,
    /// keyed by the source model's hash and the calibration, and reused.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "int8 is what the precision is called")]
    Int8,
}
