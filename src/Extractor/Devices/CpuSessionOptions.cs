using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Extractor.Devices;

/// <summary>
/// The one builder of ONNX Runtime session options for the CPU: every session this project opens (the backbone,
/// the quantizer's calibration and kernel check, the fidelity probe, <c>models info</c>'s shape probe) starts here.
/// </summary>
internal static class CpuSessionOptions
{
    /// <summary>
    /// Full graph optimization, sequential execution, <see cref="CpuBudget.InferenceThreads"/> intra-op threads
    /// (never ORT's 0) and no spinning between operators. The caller owns (disposes) the options.
    /// </summary>
    /// <param name="threads">Threads asked for (0: the process's budget).</param>
    public static SessionOptions Create(int threads)
    {
        _ = OrtSetup.Environment;
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = CpuBudget.InferenceThreads(threads),   // never ORT's 0: see CpuBudget
        };

        // ONNX Runtime's pool threads spin between operators by default, at normal priority, taking the
        // gaps the decode workers (nice 10) would fill. Not spinning: end to end / inference alone 0.918
        // (0.913, 0.922, 0.918) against 0.901 (0.913, 0.901, 0.896) spinning, inference alone unchanged
        // (2 vCPU AMD EPYC, alternating A/B; 1 core: 0.859/0.868 against 0.855/0.866).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }
}
