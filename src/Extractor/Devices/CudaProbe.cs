using System.Runtime.InteropServices;

namespace Pipeline.Extractor.Devices;

/// <summary>
/// Names what stops ONNX Runtime's CUDA provider from loading. ORT only says "Failed to load shared
/// library"; dlopen of the provider itself returns the loader's reason, e.g.
/// "libcublasLt.so.13: cannot open shared object file".
/// </summary>
internal static partial class CudaProbe
{
    private const int RtldNow = 2;
    public const string ProviderLibrary = "libonnxruntime_providers_cuda.so";

    public static string Diagnose()
    {
        string? path = new[]
        {
            Path.Combine(AppContext.BaseDirectory, ProviderLibrary),
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", ProviderLibrary),
        }.FirstOrDefault(File.Exists);
        if (path is null)
        {
            return $"{ProviderLibrary} is not next to the tool (a CPU-only build?)";
        }

        if (!OperatingSystem.IsLinux())
        {
            return $"{ProviderLibrary} could not be loaded";
        }

        try
        {
            _ = DlError();   // binds the P/Invoke now: binding it later would clear the error we want
            IntPtr handle = DlOpen(path, RtldNow);
            if (handle != IntPtr.Zero)
            {
                return $"{ProviderLibrary} loads, but no CUDA device could be used (driver or GPU missing?)";
            }

            IntPtr error = DlError();
            return error == IntPtr.Zero ? $"{ProviderLibrary} could not be loaded" : Marshal.PtrToStringUTF8(error) ?? ProviderLibrary;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"{ProviderLibrary} could not be loaded";
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string path, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();
}
