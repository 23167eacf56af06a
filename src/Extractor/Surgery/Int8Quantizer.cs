using System.Diagnostics;
using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>
/// Static int8 quantization of a backbone (<c>models quantize</c>): the backbone as it runs (cut, pooled, its
/// mean image moved into the graph), BatchNorms folded, activation ranges calibrated on images, then
/// <see cref="Int8Graph"/>'s QDQ rewrite; the written file records its preprocessing and feature tensor, so
/// <c>--backbone FILE</c> needs no other option, and its own hash defines its feature space.
/// </summary>
internal static partial class Int8Quantizer
{
    internal const int Batch = 16;
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
            Throw.BadDataLayout(options.Calibration, $"holds no images ({ImageFolder.ExtensionList}), in it or in its folders", "name a folder of images like the ones the backbone will see (a training split)");
        }

        info?.Invoke($"calibrating {plan.Calibrated.Count} activations on {calibration.Count} images of {options.Calibration} ({SettingNames.Of(options.Method)})");

        var skipped = new List<string>();
        var ranges = Calibrate(folded, plan, preprocessing, calibration, options.Method, options.Backbone.Threads, skipped);
        if (ranges is null)
        {
            Throw.BadDataLayout(options.Calibration, $"none of the {calibration.Count} sampled files decodes as an image", "name a folder of images");
        }

        var fidelity = new Int8FidelityProbe(folded, preprocessing, graph.Info.FeatureTensor, holdout, options.Backbone.Threads);
        var (quantized, keptFloat, finalPlan, cosines) = options.KeepFloatSearch
            ? KeepSensitiveNodesFloat(folded, plan, ranges!, options.WeightBits, fidelity, graph.File, info)
            : Quantized(folded, plan, ranges!, options.WeightBits, fidelity, []);
        string description = $"int8 QDQ: weights per-channel symmetric {options.WeightBits}-bit, activations uint8 per-tensor ({SettingNames.Of(options.Method)}) " +
                             $"calibrated on {calibration.Count - skipped.Count} images of '{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Calibration)))}'; " +
                             (keptFloat.Count > 0 ? $"left in float (quantizing them cost accuracy): {string.Join(", ", keptFloat)}; " : "") +
                             $"source {graph.Info.File} sha256 {Sha256.Short(graph.Info.Sha256)}";
        (PipelineMetadata.Of(preprocessing, graph.Info.FeatureTensor) with { Quantization = description }).WriteTo(quantized);
        quantized.DocString = description;
        byte[] bytes = quantized.ToByteArray();

        var (kernels, floatWeighted, floatOps) = IntegerKernels(bytes, graph.File);
        AtomicFile.Write(options.Output, bytes);
        return new QuantizationReport
        {
            Output = options.Output, Source = graph.Info.File, Images = calibration.Count - skipped.Count, Skipped = skipped,
            WeightedOps = Int8Graph.WeightedNodes(folded).Count, IntegerKernels = kernels, FloatWeightedOps = floatWeighted,
            DroppedActivations = finalPlan.Dropped.Count, FloatOps = floatOps, KeptFloat = keptFloat, FidelityImages = cosines.Count,
            MedianCosine = Median(cosines), MinCosine = cosines.Count > 0 ? cosines.Min() : double.NaN,
            Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds, Description = description,
        };
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
        GraphSurgery.Rename(g.Node, graph.InputName, centred);

        long[] dims = p.Layout == TensorLayout.Nchw ? [3, p.Height, p.Width] : [p.Height, p.Width, 3];
        g.Initializer.Add(OnnxBuilder.FloatTensor("pipeline_mean_image", graph.MeanImage, dims));
        var sub = new NodeProto { OpType = "Sub", Name = centred, Input = { graph.InputName, "pipeline_mean_image" }, Output = { centred } };
        g.Node.Insert(0, sub);
        return (model, p with { MeanImageSha256 = null });
    }

    /// <summary>A deterministic sample: the folder's files in a seeded shuffle of their sorted paths.</summary>
    internal static List<string> Sample(string dir, int count)
    {
        var files = ImageFolder.FilesBelow(dir).Where(ImageFolder.IsImageFile).Order(StringComparer.Ordinal).ToList();
        var random = new Random(20261203);
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(files));
        return files.Take(count).ToList();
    }
}
