using System.Runtime.InteropServices;

namespace Pipeline.Cli;

/// <summary>
/// glibc's malloc tuned for this process (the CLI owns the process; a library never does this to its host). Loading a
/// backbone makes ONNX Runtime allocate and free copies of every weight (parse, initializers, fused and prepacked
/// ones): with glibc's default, whose mmap threshold rises after the first large free, those copies then come from the
/// heap and stay in the process as free but resident pages. A fixed 128 KB threshold gives large blocks back on free:
/// predict of one photo with resnet18 peaks at 546 MB instead of 646 MB (medians of 3, 2 vCPU AMD EPYC), at the same
/// wall time; extract's throughput is unchanged (docs/scale.md).
/// </summary>
internal static partial class NativeHeap
{
    private const int MmapThreshold = -3;   // M_MMAP_THRESHOLD in glibc's malloc.h

    public static void Tune()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null)
        {
            return;   // the user's own setting wins
        }

        try
        {
            _ = Mallopt(MmapThreshold, 128 * 1024);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no mallopt): its malloc keeps its own policy.
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
