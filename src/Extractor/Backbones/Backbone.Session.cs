using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Extractor.Backbones;

internal sealed partial class Backbone
{
    private static (SessionOptions Options, string Device, bool Cuda) CreateOptions(BackboneSpec spec, Action<string>? info)
    {
        var options = CpuSessionOptions.Create(spec.Threads);
        if (spec.ProfilePrefix is { } prefix)
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = prefix;
        }

        if (spec.Device.Kind == DeviceKind.Cpu)
        {
            return (options, CpuDescription(spec), false);
        }

        int id = spec.Device.Index;
        try
        {
            // TF32 only when asked: ONNX Runtime's CUDA default is on, which would make "fp32" features TF32 ones.
            using var cudaOptions = new OrtCUDAProviderOptions();
            cudaOptions.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["use_tf32"] = spec.Precision == Precision.Tf32 ? "1" : "0",
                ["cudnn_conv_algo_search"] = "EXHAUSTIVE",   // one search per shape; every batch after it reuses the fastest kernel
            });
            options.AppendExecutionProvider_CUDA(cudaOptions);
            info?.Invoke($"device: CUDA device {id}");
            return (options, $"CUDA device {id}", true);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            string reason = CudaProbe.Diagnose();
            if (spec.Device.IsExplicitCuda)
            {
                options.Dispose();
                Throw.DeviceUnavailable(spec.Device.ToString(), reason,
                    "install the CUDA 13 runtime and cuDNN 9 (libcudart, libcublas, libcudnn) on the library path", e);
            }

            string cpu = CpuDescription(spec);
            info?.Invoke($"device: {cpu} (CUDA not available: {reason})");
            return (options, cpu, false);
        }
    }

    private static string CpuDescription(BackboneSpec spec) =>
        $"CPU ({CpuBudget.InferenceThreads(spec.Threads)} threads{(spec.Threads > 0 ? "" : $" = {CpuBudget.Source}")})";

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
