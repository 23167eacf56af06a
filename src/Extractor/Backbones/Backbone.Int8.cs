using Onnx;
using Pipeline.Extractor.Onnx;
using Pipeline.Extractor.Platform;

namespace Pipeline.Extractor.Backbones;

/// <summary>
/// int8 as a precision (<c>--precision int8</c>): the backbone quantized on the fly by <see cref="Int8Quantizer"/>, calibrated
/// on the same deterministic sample of <see cref="BackboneSpec.Calibration"/> that <c>models quantize</c> takes, and
/// kept in <see cref="BackboneSpec.QuantizedModels"/> as <c>&lt;source sha256 12&gt;-int8-&lt;calibration 12&gt;.onnx</c>, so
/// the next run reuses it. The feature space records the source model and precision int8, like any precision.
/// </summary>
internal sealed partial class Backbone
{
    /// <summary>
    /// Loads the fp32 backbone first (it decides the pooling, and says its messages), then the int8 one with that
    /// pooling: the file quantized is the graph extraction runs.
    /// </summary>
    private static Backbone LoadInt8(BackboneSpec spec, Action<string>? info)
    {
        Pooling? pool;
        using (var fp32 = Load(spec with { Precision = Precision.Fp32 }, info))
        {
            if (fp32.IsCuda)
            {
                Throw.InvalidSetting("precision", "int8", "fp32, tf32 or fp16 on CUDA: int8 is quantized for the CPU's integer kernels (--device cpu)");
            }

            pool = fp32.Info.Pool ?? spec.Pool;
        }

        return LoadAsSpecified(spec with { Pool = pool }, info);
    }

    /// <summary>The graph the session runs, and the mean image the host subtracts (none for int8: it is in the quantized graph).</summary>
    private static (ModelProto Model, float[]? MeanImage) RunnableModel(BackboneSpec spec, PreparedGraph graph, bool cuda, Action<string>? info) => spec.Precision switch
    {
        Precision.Fp16 => (cuda ? Float16Graph.Convert(graph.Model) : Float16Graph.Emulate(graph.Model), graph.MeanImage),
        Precision.Int8 => (OnnxGraph.Load(QuantizedFile(spec, graph, info)), null),
        _ => (graph.Model, graph.MeanImage),
    };

    /// <summary>The int8 file for this source and calibration: reused when it exists, else quantized now.</summary>
    private static string QuantizedFile(BackboneSpec spec, PreparedGraph graph, Action<string>? info)
    {
        if (spec.Calibration is not { } images)
        {
            throw InvalidSettingException.Missing("calibration", "int8 quantizes the backbone on the fly and calibrates it on images",
                "a folder of training images (extract takes its training split; bench its --data); or quantize once with 'models quantize' and pass the file as --backbone");
        }

        if (spec.QuantizedModels is not { } folder)
        {
            throw InvalidSettingException.Missing("quantized-models", "int8 keeps its quantized file in a folder", "a folder for quantized models (extract uses CACHE/.models)");
        }

        var options = new QuantizeOptions { Backbone = spec with { Precision = Precision.Fp32 }, Calibration = images, Output = "" };
        var sample = Int8Quantizer.Sample(images, options.Images + options.Holdout);
        // The calibration's identity: its settings, the pooled graph's output, and every sampled file (path, size, time).
        string key = string.Join("\n", [
            $"images={options.Images} holdout={options.Holdout} method={options.Method} bits={options.WeightBits} search={options.KeepFloatSearch}",
            $"pool={graph.Info.Pool} feature={graph.Info.FeatureTensor}",
            .. sample.Select(f => $"{Path.GetRelativePath(images, f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}")]);
        string calibration = Sha256.Hex(System.Text.Encoding.UTF8.GetBytes(key))[..12];
        string file = Path.Combine(folder, $"{graph.Info.Sha256[..12]}-int8-{calibration}.onnx");
        if (File.Exists(file))
        {
            info?.Invoke($"precision: int8, reusing {file}");
            return file;
        }

        Directory.CreateDirectory(folder);
        var report = Int8Quantizer.Run(options with { Output = file }, info);
        info?.Invoke($"precision: int8, quantized in {report.Seconds:F1} s on {report.Images} images of {images} ({report.WeightedOps} weighted convolutions and products made int8; {report.IntegerKernels} integer kernels in ONNX Runtime's graph); " +
                     $"median cosine to fp32 {report.MedianCosine:F4} on {report.FidelityImages} held-out images; kept as {file}");
        return file;
    }
}
