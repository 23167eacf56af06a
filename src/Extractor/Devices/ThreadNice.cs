using System.Runtime.InteropServices;

namespace Pipeline.Extractor.Devices;

/// <summary>
/// Linux: lowers the scheduling priority of the calling thread (setpriority on its thread id), so
/// that on a CPU shared with inference the decode workers run in ONNX Runtime's gaps instead of
/// pre-empting its threads mid-operator (which stalls the other thread at the next barrier).
/// </summary>
internal static partial class ThreadNice
{
    private const int PrioProcess = 0;
    private const long SysGettid = 186;   // x86-64

    public static void Set(int nice)
    {
        if (nice == 0 || !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return;
        }

        try
        {
            int tid = (int)Syscall(SysGettid);
            _ = SetPriority(PrioProcess, tid, nice);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to ask: run at normal priority.
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "syscall")]
    private static partial long Syscall(long number);

    [LibraryImport("libc.so.6", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int prio);
}
