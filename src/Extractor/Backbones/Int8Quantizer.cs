using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Pipeline.Extractor.Images;
using Pipeline.Extractor.Onnx;
using Pipeline.Extractor.Platform;

namespace Pipeline.Extractor.Backbones;

/// <summary>How activation ranges are read from the calibration images (<c>models quantize --calibrate</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<CalibrationMethod>))]
public enum CalibrationMethod
{
    /// <summary>
    /// Each tensor's smallest and largest value: the default. On ResNet18 and the shared photos it keeps the features
    /// closer to fp32 than the percentile does (median cosine 0.9966 against 0.9938 at 7-bit weights): the rare large
    /// activations it keeps are the ones the features rely on.
    /// </summary>
    MinMax,

    /// <summary>Each tensor's range: the 0.01 % and 99.99 % points of its values (a stray value does not stretch the scale).</summary>
    Percentile,
}

/// <summary>What <c>models quantize</c> does: which backbone, calibrated on which images, written where.</summary>
internal sealed record QuantizeOptions
{
    public required BackboneSpec Backbone { get; init; }

    /// <summary>A folder of images (class folders or not): a deterministic sample of them calibrates the activation ranges.</summary>
    public required string Calibration { get; init; }

    public required string Output { get; init; }

    /// <summary>Calibration images: the sample's size.</summary>
    public int Images { get; init; } = DefaultImages;

    /// <summary>Images after the calibration sample that measure fidelity (cosine of int8 to fp32 features).</summary>
    public int Holdout { get; init; } = 64;

    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>7 (the default): no u8×s8 pair overflows int16 on AVX2 without VNNI, so every CPU computes the same; 8: full range.</summary>
    public int WeightBits { get; init; } = 7;

    /// <summary>Leave in float the nodes whose quantization costs accuracy (the default); false quantizes every one (for comparison).</summary>
    public bool KeepFloatSearch { get; init; } = true;

    public const int DefaultImages = 256;
}

/// <summary>What a quantization did, and how close its features are to fp32's.</summary>
/// <param name="Output">The int8 model file written.</param>
/// <param name="Source">The source model's file name.</param>
/// <param name="Images">Calibration images that decoded.</param>
/// <param name="Skipped">Sampled files that did not decode, each with its path and reason.</param>
/// <param name="WeightedOps">Convolutions and matrix products whose weights became int8.</param>
/// <param name="IntegerKernels">Of those, how many ONNX Runtime's optimized graph runs as integer kernels (QLinearConv, QGemm, …).</param>
/// <param name="FloatWeightedOps">Convolutions and matrix products the optimized graph still runs in float, by op and name.</param>
/// <param name="DroppedActivations">Relu and Clip nodes the uint8 ranges replace.</param>
/// <param name="FloatOps">Other op types ONNX Runtime runs in float (cheap ones, such as a mean subtraction, an Add no integer kernel reads, the final pool).</param>
/// <param name="KeptFloat">Convolutions and matrix products left in float on purpose, because quantizing them cost accuracy (median cosine to fp32 under 0.99).</param>
/// <param name="FidelityImages">Images outside the calibration sample on which fidelity was measured.</param>
/// <param name="MedianCosine">Median cosine of int8 to fp32 features on those images.</param>
/// <param name="MinCosine">Lowest cosine of int8 to fp32 features on those images.</param>
/// <param name="Seconds">Wall time of the whole quantization.</param>
/// <param name="Description">How the file was made, as its <c>pipeline.quantization</c> metadata says.</param>
public sealed record QuantizationReport(
    string Output, string Source, int Images, IReadOnlyList<string> Skipped, int WeightedOps, int IntegerKernels, IReadOnlyList<string> FloatWeightedOps,
    int DroppedActivations, IReadOnlyList<string> FloatOps, IReadOnlyList<string> KeptFloat, int FidelityImages, double MedianCosine, double MinCosine, double Seconds, string Description);

/// <summary>
/// Static int8 quantization of a backbone (<c>models quantize</c>): the backbone as it runs (cut, pooled, its
/// mean image moved into the graph), BatchNorms folded, activation ranges calibrated on images, then
/// <see cref="Int8Graph"/>'s QDQ rewrite; the written file records its preprocessing and feature tensor, so
/// <c>--backbone FILE</c> needs no other option, and its own hash defines its feature space.
/// </summary>
internal static class Int8Quantizer
{
    private const int Batch = 16;
    private const int SamplesPerImage = 8192;
    private const double Percentile = 0.9999;

    /// <summary>The median cosine to fp32 below which nodes are tried in float (ResNet18 gives 0.996 with none).</summary>
    private const double TargetCosine = 0.99;

    /// <summary>The least gain in median cosine for which a node is left in float (it costs that node's speed-up).</summary>
    private const double MinGain = 0.002;

    private const int MaxFloatNodes = 3;

    public static QuantizationReport Run(QuantizeOptions options, Action<string>? info = null)
    {
        if (options.WeightBits is not (7 or 8))
        {
            Throw.InvalidSetting("weight-bits", options.WeightBits.ToString(System.Globalization.CultureInfo.InvariantCulture), "7 or 8");
        }

        if (options.Images < 1)
        {
            Throw.InvalidSetting("images", options.Images.ToString(System.Globalization.CultureInfo.InvariantCulture), "a positive number of calibration images");
        }

        if (!Directory.Exists(options.Calibration))
        {
            Throw.BadDataLayout(options.Calibration, "no such folder", "name a folder of images like the ones the backbone will see (a training split)");
        }

        var start = Stopwatch.GetTimestamp();
        var graph = Backbone.Prepare(options.Backbone with { Precision = Precision.Fp32 });
        var (model, preprocessing) = BakeMeanImage(graph);
        var folded = Float16Graph.FoldBatchNorms(model);
        var plan = Int8Graph.MakePlan(folded, graph.File);
        var files = Sample(options.Calibration, options.Images + options.Holdout);
        var calibration = files.Take(options.Images).ToList();
        var holdout = files.Skip(options.Images).ToList();
        if (calibration.Count == 0)
        {
            Throw.BadDataLayout(options.Calibration, "holds no images (.jpg .jpeg .png .bmp .gif .webp), in it or in its folders", "name a folder of images like the ones the backbone will see (a training split)");
        }

        info?.Invoke($"calibrating {plan.Calibrated.Count} activations on {calibration.Count} images of {options.Calibration} ({SettingNames.Of(options.Method)})");

        var skipped = new List<string>();
        var ranges = Calibrate(folded, plan, preprocessing, calibration, options.Method, options.Backbone.Threads, skipped);
        if (ranges is null)
        {
            Throw.BadDataLayout(options.Calibration, $"none of the {calibration.Count} sampled files decodes as an image", "name a folder of images");
        }

        var fidelity = new FidelityProbe(folded, preprocessing, graph.Info.FeatureTensor, holdout, options.Backbone.Threads);
        var (quantized, keptFloat, finalPlan, cosines) = options.KeepFloatSearch
            ? KeepSensitiveNodesFloat(folded, plan, ranges!, options.WeightBits, fidelity, graph.File, info)
            : Quantized(folded, plan, ranges!, options.WeightBits, fidelity, []);
        string description = $"int8 QDQ: weights per-channel symmetric {options.WeightBits}-bit, activations uint8 per-tensor ({SettingNames.Of(options.Method)}) " +
                             $"calibrated on {calibration.Count - skipped.Count} images of '{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Calibration)))}'; " +
                             (keptFloat.Count > 0 ? $"left in float (quantizing them cost accuracy): {string.Join(", ", keptFloat)}; " : "") +
                             $"source {graph.Info.File} sha256 {graph.Info.Sha256[..12]}";
        (PipelineMetadata.Of(preprocessing, graph.Info.FeatureTensor) with { Quantization = description }).WriteTo(quantized);
        quantized.DocString = description;
        byte[] bytes = quantized.ToByteArray();

        var (kernels, floatWeighted, floatOps) = IntegerKernels(bytes, graph.File);
        AtomicFile.Write(options.Output, bytes);
        return new QuantizationReport(options.Output, graph.Info.File, calibration.Count - skipped.Count, skipped, Int8Graph.WeightedNodes(folded).Count, kernels, floatWeighted, finalPlan.Dropped.Count,
            floatOps, keptFloat, cosines.Count, Median(cosines), cosines.Count > 0 ? cosines.Min() : double.NaN,
            Stopwatch.GetElapsedTime(start).TotalSeconds, description);
    }

    /// <summary>
    /// A backbone with a per-pixel mean image (the packaged ResNet18) gets it as a Sub at the graph's input, so the
    /// quantized file carries it (metadata keys hold per-channel values only); other graphs are unchanged.
    /// </summary>
    private static (ModelProto Model, Preprocessing Preprocessing) BakeMeanImage(PreparedGraph graph)
    {
        if (graph.MeanImage is null)
        {
            return (graph.Model, graph.Preprocessing);
        }

        var model = graph.Model.Clone();
        var g = model.Graph;
        var p = graph.Preprocessing;
        string centred = "pipeline_mean_subtracted";
        OnnxGraph.Rename(g.Node, graph.InputName, centred);

        long[] dims = p.Layout == TensorLayout.Nchw ? [3, p.Height, p.Width] : [p.Height, p.Width, 3];
        g.Initializer.Add(OnnxBuilder.FloatTensor("pipeline_mean_image", graph.MeanImage, dims));
        var sub = new NodeProto { OpType = "Sub", Name = centred, Input = { graph.InputName, "pipeline_mean_image" }, Output = { centred } };
        g.Node.Insert(0, sub);
        return (model, p with { MeanImageSha256 = null });
    }

    /// <summary>A deterministic sample: the folder's files in a seeded shuffle of their sorted paths.</summary>
    private static List<string> Sample(string dir, int count)
    {
        var files = ImageFolder.FilesBelow(dir).Where(ImageFolder.IsImageFile).Order(StringComparer.Ordinal).ToList();
        var random = new Random(20261203);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(files));
        return files.Take(count).ToList();
    }

    /// <summary>Decodes and preprocesses <paramref name="files"/> in batches; bad files are listed in <paramref name="skipped"/>.</summary>
    private static IEnumerable<(float[] Input, int Count)> Batches(Preprocessing p, IReadOnlyList<string> files, List<string> skipped)
    {
        var decoder = new ImageDecoder(p);
        var preprocessor = new Preprocessor(p);
        var scratch = new PreprocessScratch();
        var image = new DecodedImage();
        int length = 3 * p.Width * p.Height;
        var input = new float[Batch * length];
        int count = 0;
        var sha = new byte[32];
        foreach (var file in files)
        {
            try
            {
                decoder.ReadFile(file, sha);
                decoder.Decode(image);
                preprocessor.Run(image, input.AsSpan(count * length, length), scratch);
                count++;
            }
            catch (Exception e) when (InvalidImageException.IsFileProblem(e))
            {
                // As extract does: whatever one file does to the decoder is that file's skip reason, never the run's end.
                skipped.Add($"{file}: {InvalidImageException.SkipReason(e)}");
                continue;
            }

            if (count == Batch)
            {
                yield return (input, count);
                count = 0;
            }
        }

        if (count > 0)
        {
            yield return (input, count);
        }
    }

    private static InferenceSession Session(byte[] model, int threads, string? optimizedPath = null)
    {
        _ = OrtSetup.Environment;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = CpuBudget.InferenceThreads(threads),
        };
        if (optimizedPath is not null)
        {
            options.OptimizedModelFilePath = optimizedPath;
        }

        return new InferenceSession(model, options);
    }

    private static long[] Shape(Preprocessing p, int count) => p.Layout == TensorLayout.Nchw ? [count, 3, p.Height, p.Width] : [count, p.Height, p.Width, 3];

    /// <summary>The (min, max) of every planned tensor over the images, or null when no image decoded.</summary>
    private static Dictionary<string, (float Min, float Max)>? Calibrate(ModelProto folded, Int8Graph.Plan plan, Preprocessing p, IReadOnlyList<string> files,
        CalibrationMethod method, int threads, List<string> skipped)
    {
        using var session = Session(OnnxGraph.WithFloatOutputs(folded, plan.Calibrated).ToByteArray(), threads);
        string inputName = OnnxGraph.RealInputs(folded.Graph).First().Name;
        var min = plan.Calibrated.ToDictionary(t => t, _ => float.PositiveInfinity, StringComparer.Ordinal);
        var max = plan.Calibrated.ToDictionary(t => t, _ => float.NegativeInfinity, StringComparer.Ordinal);
        var samples = plan.Calibrated.ToDictionary(t => t, _ => new List<float>(), StringComparer.Ordinal);
        int images = 0;
        foreach (var (input, count) in Batches(p, files, skipped))
        {
            images += count;
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(input, 0, count * input.Length / Batch), Shape(p, count));
            using var run = new RunOptions();
            using var outputs = session.Run(run, [inputName], [value], plan.Calibrated.ToArray());
            for (int i = 0; i < plan.Calibrated.Count; i++)
            {
                string t = plan.Calibrated[i];
                var data = outputs[i].GetTensorDataAsSpan<float>();
                min[t] = Math.Min(min[t], System.Numerics.Tensors.TensorPrimitives.Min(data));
                max[t] = Math.Max(max[t], System.Numerics.Tensors.TensorPrimitives.Max(data));
                if (method == CalibrationMethod.Percentile)
                {
                    int step = Math.Max(1, data.Length / (SamplesPerImage * count)) | 1;   // odd: no lock-step with even widths
                    for (int j = 0; j < data.Length; j += step)
                    {
                        samples[t].Add(data[j]);
                    }
                }
            }
        }

        if (images == 0)
        {
            return null;
        }

        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        foreach (var t in plan.Calibrated)
        {
            if (method == CalibrationMethod.MinMax)
            {
                ranges[t] = (min[t], max[t]);
                continue;
            }

            var s = samples[t];
            s.Sort();
            float lo = s[(int)((s.Count - 1) * (1 - Percentile))], hi = s[(int)((s.Count - 1) * Percentile)];
            ranges[t] = (Math.Max(min[t], lo), Math.Min(max[t], hi));
        }

        return ranges;
    }

    /// <summary>
    /// Loads the quantized graph as extraction will (all optimizations) and reads the graph ONNX Runtime made of it:
    /// how many Conv/Gemm/MatMul run as integer kernels, and which still run in float.
    /// </summary>
    private static (int Integer, List<string> FloatWeighted, List<string> FloatOps) IntegerKernels(byte[] quantized, string file)
    {
        string optimized = Path.Combine(Path.GetTempPath(), $"pipeline-int8-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            using (Session(quantized, 1, optimized))
            {
            }

            var g = OnnxGraph.Load(optimized).Graph;
            int integer = g.Node.Count(n => n.OpType is "QLinearConv" or "QGemm" or "QLinearMatMul" or "MatMulInteger" or "ConvInteger" or "DynamicQuantizeMatMul" or "MatMulIntegerToFloat");
            var floating = g.Node.Where(n => n.OpType is "Conv" or "FusedConv" or "Gemm" or "MatMul" or "FusedGemm" or "FusedMatMul").Select(n => $"{n.OpType} {n.Name}").ToList();
            var floatOps = g.Node.Select(n => n.OpType)
                .Where(op => !op.StartsWith("QLinear", StringComparison.Ordinal) && op is not ("QGemm" or "QuantizeLinear" or "DequantizeLinear" or "NhwcMaxPool" or "Transpose" or "ReorderInput" or "ReorderOutput"
                    or "Conv" or "FusedConv" or "Gemm" or "MatMul" or "FusedGemm" or "FusedMatMul"))
                .Distinct().ToList();
            return (integer, floating, floatOps);
        }
        catch (OnnxRuntimeException e)
        {
            Throw.BadModel(file, $"its quantized graph does not load in ONNX Runtime ({e.Message.Split('\n')[0]})", "report it with the model; quantize with --weight-bits 8 or keep fp32");
            return default;
        }
        finally
        {
            File.Delete(optimized);
        }
    }

    /// <summary>
    /// Leaves in float, one at a time, the convolution or matrix product whose quantization costs the features most,
    /// while the median cosine to fp32 on the held-out images is under <see cref="TargetCosine"/> and a node helps by
    /// at least <see cref="MinGain"/> (at most <see cref="MaxFloatNodes"/> nodes). Each round tries every candidate:
    /// only a model that needs it pays for the search. Returns the model and the nodes kept float.
    /// </summary>
    private static Trial KeepSensitiveNodesFloat(ModelProto folded, Int8Graph.Plan plan,
        IReadOnlyDictionary<string, (float Min, float Max)> ranges, int bits, FidelityProbe fidelity, string file, Action<string>? info)
    {
        var chosen = Quantized(folded, plan, ranges, bits, fidelity, []);
        while (fidelity.Images > 0 && Median(chosen.Cosines) < TargetCosine && chosen.KeptFloat.Count < MaxFloatNodes)
        {
            Trial? best = null;
            foreach (var candidate in Int8Graph.WeightedNodes(folded).Except(chosen.KeptFloat))
            {
                var keep = chosen.KeptFloat.Append(candidate).ToList();
                var trial = Int8Graph.MakePlan(folded, file, keep.ToHashSet(StringComparer.Ordinal));
                if (trial.Calibrated.All(ranges.ContainsKey)
                    && Quantized(folded, trial, ranges, bits, fidelity, keep) is var t && (best is null || Median(t.Cosines) > Median(best.Cosines)))
                {
                    best = t;
                }
            }

            if (best is null || Median(best.Cosines) - Median(chosen.Cosines) < MinGain)
            {
                break;
            }

            info?.Invoke($"quantize: '{best.KeptFloat[^1]}' stays float: median cosine to fp32 {Median(chosen.Cosines):F4} -> {Median(best.Cosines):F4}");
            chosen = best;
        }

        return chosen;
    }

    /// <summary>The QDQ model of a plan, with its per-image cosines to fp32 (none without held-out images).</summary>
    private static Trial Quantized(ModelProto folded, Int8Graph.Plan plan, IReadOnlyDictionary<string, (float Min, float Max)> ranges, int bits, FidelityProbe fidelity, List<string> keptFloat)
    {
        var model = Int8Graph.Quantize(folded, plan, ranges, bits);
        return new Trial(model, keptFloat, plan, fidelity.Cosines(model.ToByteArray()));
    }

    /// <summary>A quantized model, the nodes it keeps in float, its plan and its cosines to fp32 on the held-out images.</summary>
    private sealed record Trial(ModelProto Model, List<string> KeptFloat, Int8Graph.Plan Plan, List<double> Cosines);

    private static double Median(List<double> values) =>
        values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

    /// <summary>fp32 features of images the calibration did not see, computed once; any int8 model's cosines to them.</summary>
    private sealed class FidelityProbe
    {
        private readonly List<float[]> _inputs = [];
        private readonly List<int> _counts = [];
        private readonly List<float[]> _reference = [];
        private readonly Preprocessing _p;
        private readonly string _feature;
        private readonly string _inputName;
        private readonly int _threads;

        public FidelityProbe(ModelProto folded, Preprocessing p, string featureTensor, IReadOnlyList<string> files, int threads)
        {
            (_p, _feature, _threads) = (p, featureTensor, threads);
            _inputName = OnnxGraph.RealInputs(folded.Graph).First().Name;
            if (files.Count == 0)
            {
                return;
            }

            foreach (var (input, count) in Batches(p, files, []))
            {
                _inputs.Add(input[..(count * input.Length / Batch)]);
                _counts.Add(count);
            }

            _reference = Run(folded.ToByteArray());
        }

        public int Images => _counts.Sum();

        public List<double> Cosines(byte[] model)
        {
            var cosines = new List<double>();
            var features = Run(model);
            for (int b = 0; b < features.Count; b++)
            {
                int f = features[b].Length / _counts[b];
                for (int i = 0; i < _counts[b]; i++)
                {
                    cosines.Add(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(_reference[b].AsSpan(i * f, f), features[b].AsSpan(i * f, f)));
                }
            }

            return cosines;
        }

        private List<float[]> Run(byte[] model)
        {
            var outputs = new List<float[]>();
            if (_inputs.Count == 0)
            {
                return outputs;
            }

            using var session = Session(model, _threads);
            for (int b = 0; b < _inputs.Count; b++)
            {
                using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_inputs[b]), Shape(_p, _counts[b]));
                using var run = new RunOptions();
                using var result = session.Run(run, [_inputName], [value], [_feature]);
                outputs.Add(result[0].GetTensorDataAsSpan<float>().ToArray());
            }

            return outputs;
        }
    }
}
