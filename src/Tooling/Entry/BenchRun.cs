namespace Pipeline.Tooling;

/// <summary>What <c>bench</c> measured (<see cref="Bench.Measure"/>): the stages' rates, the FMA peak and, when profiled, where inference time went.</summary>
public sealed record BenchRun
{
    /// <summary>Images per second of each stage.</summary>
    public required ThroughputReport Report { get; init; }

    /// <summary>The CPU's fp32 FMA peak in GFLOPS, measured for a second; NaN on CUDA.</summary>
    public required double PeakGflops { get; init; }

    /// <summary>Kernel time per operator type, largest first, when profiled; else null.</summary>
    public IReadOnlyList<OperatorShare>? Operators { get; init; }

    /// <summary>ONNX Runtime's profile written (<c>DIR/ort-profile.json</c>), when profiled; else null.</summary>
    public string? ProfileFile { get; init; }
}
