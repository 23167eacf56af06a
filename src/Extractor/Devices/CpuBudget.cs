namespace Pipeline.Extractor.Devices;

/// <summary>
/// The cores this process may use: .NET's <see cref="Environment.ProcessorCount"/> already honours
/// the affinity mask (<c>taskset</c>, Slurm's cpusets) and a cgroup CPU quota (Kubernetes limits),
/// and <c>DOTNET_PROCESSOR_COUNT</c> overrides it. ONNX Runtime's own default (IntraOpNumThreads = 0)
/// counts physical cores and ignores quotas: on a 2-vCPU VM it ran one thread. So every thread
/// count in the tool is derived from here, never left to a library.
/// </summary>
internal static class CpuBudget
{
    public static int Cores => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Inference threads on the CPU: every core we may use, or the user's explicit count.</summary>
    public static int InferenceThreads(int requested) => requested > 0 ? requested : Cores;

    /// <summary>Where the core count came from, for the line <c>extract</c> and <c>bench</c> print.</summary>
    public static string Source =>
        System.Environment.GetEnvironmentVariable("DOTNET_PROCESSOR_COUNT") is { Length: > 0 }
            ? "DOTNET_PROCESSOR_COUNT"
            : "cores this process may use (affinity and cgroup quota)";
}
