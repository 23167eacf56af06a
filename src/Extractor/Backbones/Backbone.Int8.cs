using Onnx;

namespace Pipeline.Extractor.Backbones;

/// <summary>
/// int8 as a precision (<c>--precision int8</c>): the backbone quantized on the fly by <see cref="Int8Quantizer"/>, calibrated
/// on the same deterministic sample of <see cref="BackboneSpec.Calibration"/> that <c>models quantize</c> takes, and
/// kept in <see cref="BackboneSpec.QuantizedModels"/> as <c>&lt;source sha256 12&gt;-int8-&lt;calibration 12&gt;.onnx</c>, so
/// the next run reuses it. The feature space records the source model, precision int8 and the <see cref="QuantizedBackbone"/>
/// (calibration, file, hash); a head on those features runs behind that same file (<see cref="BackboneSpec.Quantized"/>).
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

        if (CpuFeatures.HasInt8DotProduct == false)
        {
            info?.Invoke("precision: this CPU has no int8 dot-product instruction (VNNI), so int8 runs about as fast as fp32 here " +
                "(0.97-1.02x on an AVX2 CPU, 3.3x with AVX-512 VNNI; docs/transformers-int8.md); fp32 keeps full accuracy");
        }

        return LoadAsSpecified(spec with { Pool = pool }, info);
    }

    /// <summary>The graph the session runs, and the mean image the host subtracts (none for int8: it is in the quantized graph).</summary>
    private static (ModelProto Model, float[]? MeanImage, QuantizedBackbone? Int8) RunnableModel(BackboneSpec spec, PreparedGraph graph, bool cuda, Action<string>? info)
    {
        switch (spec.Precision)
        {
            case Precision.Fp16:
                return (cuda ? Float16Graph.Convert(graph.Model) : Float16Graph.Emulate(graph.Model), graph.MeanImage, null);
            case Precision.Int8:
                var int8 = QuantizedFile(spec, graph, info);
                return (OnnxGraph.Load(int8.File), null, int8);
            default:
                return (graph.Model, graph.MeanImage, null);
        }
    }

    /// <summary>
    /// The int8 file for this source and calibration: a head's own (<see cref="BackboneSpec.Quantized"/>, found by its path and
    /// checked by its hash), else the one kept for this calibration, else quantized now.
    /// </summary>
    internal static QuantizedBackbone QuantizedFile(BackboneSpec spec, PreparedGraph graph, Action<string>? info)
    {
        if (spec.Quantized is { } own)
        {
            return HeadsInt8File(own);
        }

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
        string calibration = CalibrationKey(options, graph);
        string file = Path.GetFullPath(Path.Combine(folder, $"{Sha256.Short(graph.Info.Sha256)}-int8-{calibration}.onnx"));
        if (File.Exists(file))
        {
            info?.Invoke($"precision: int8, reusing {file}");
            return new QuantizedBackbone { Calibration = calibration, File = file, Sha256 = Sha256.OfFile(file) };
        }

        Directory.CreateDirectory(folder);
        var report = Int8Quantizer.Run(options with { Output = file }, info);
        info?.Invoke($"precision: int8, quantized in {report.Seconds:F1} s on {report.Images} images of {images} ({report.WeightedOps} weighted convolutions and products made int8; {report.IntegerKernels} integer kernels in ONNX Runtime's graph); " +
                     $"median cosine to fp32 {report.MedianCosine:F4} on {report.FidelityImages} held-out images; kept as {file}");
        return new QuantizedBackbone { Calibration = calibration, File = file, Sha256 = Sha256.OfFile(file) };
    }

    /// <summary>
    /// The calibration's identity: its settings, the pooled graph's output, and every sampled file (its path below the
    /// folder and the SHA-256 of its bytes, so a copy of the same images elsewhere, or on another node, is the same calibration).
    /// </summary>
    private static string CalibrationKey(QuantizeOptions options, PreparedGraph graph)
    {
        var sample = Int8Quantizer.Sample(options.Calibration, options.Images + options.Holdout);
        string key = string.Join("\n", [
            $"images={options.Images} holdout={options.Holdout} method={options.Method} bits={options.WeightBits} search={options.KeepFloatSearch}",
            $"pool={graph.Info.Pool} feature={graph.Info.FeatureTensor}",
            .. sample.Select(f => $"{Path.GetRelativePath(options.Calibration, f).Replace('\\', '/')} {Sha256.OfFile(f)}")]);
        return Sha256.Short(Sha256.OfText(key));
    }

    /// <summary>The int8 file a head was trained behind: at its recorded path with its recorded hash, or a model error naming both.</summary>
    private static QuantizedBackbone HeadsInt8File(QuantizedBackbone own)
    {
        if (!File.Exists(own.File))
        {
            Throw.BadModel(own.File, $"the int8 backbone this head's features came from (sha256 {Sha256.Short(own.Sha256)}) is not there",
                "put that file back (extract keeps it in CACHE/.models), pass a copy of it with --backbone, or extract again with --precision int8 and train a new head");
        }

        string found = Sha256.OfFile(own.File);
        if (found != own.Sha256)
        {
            Throw.BadModel(own.File, $"sha256 {Sha256.Short(found)}, not the {Sha256.Short(own.Sha256)} of the int8 backbone this head's features came from: the file was changed or replaced",
                "put the original file back, or extract again with --precision int8 and train a new head");
        }

        return own;
    }
}
