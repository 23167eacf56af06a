using System.Text.Json;
using Google.Protobuf;
using Onnx;

namespace Pipeline.Head.Inference;

/// <summary>
/// Backbone + preprocessing + head as one ONNX graph: input <c>image</c> (N, H, W, 3) uint8 RGB at
/// the backbone's size (resize first, as the tool does), output <c>probabilities</c> (N, classes)
/// float32; class names in the metadata (<c>classes</c>, a JSON array). The backbone half comes from
/// <see cref="BackboneGraph"/>; this adds the head's standardisation, dense layers and softmax (a multi-label head: sigmoid, thresholds in the metadata).
/// </summary>
internal static class ClassifierExport
{
    public const string InputName = "image";
    public const string OutputName = "probabilities";

    public static void Export(TrainedHead head, BackboneSpec spec, string path)
    {
        var m = head.Manifest;
        // fp32 and fp16 heads export the fp32 graph: fp16 features differ from fp32 ones by about 0.1 % (docs/speed.md),
        // and every runtime runs fp32. An int8 head exports the int8 file its features came from (what predict runs).
        var backbone = BackboneGraph.Build(spec, InputName);
        HeadBackbone.Check(m, backbone.Space, backbone.Info.File);

        var model = backbone.Model;
        var g = model.Graph;
        var nodes = new List<NodeProto>(g.Node);
        var inits = g.Initializer;

        // features (N, F…) → flatten (N, F) → standardise → Linear/ReLU layers → softmax (N, classes), or sigmoid (N, labels) for a multi-label head.
        string x = OnnxBuilder.Node(nodes, "Flatten", [backbone.FeatureTensor], "pipeline_features", ("axis", 1L));
        var weights = head.Weights;
        float[] mean = weights.Mean, invStd = weights.InvStd;
        inits.Add(OnnxBuilder.FloatTensor("pipeline_feature_mean", mean, [mean.Length]));
        inits.Add(OnnxBuilder.FloatTensor("pipeline_feature_inv_std", invStd, [invStd.Length]));
        x = OnnxBuilder.Node(nodes, "Sub", [x, "pipeline_feature_mean"], "pipeline_centred");
        x = OnnxBuilder.Node(nodes, "Mul", [x, "pipeline_feature_inv_std"], "pipeline_standardised");
        var layers = weights.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var (w, b) = (layers[i].Weight, layers[i].Bias);
            inits.Add(OnnxBuilder.FloatTensor($"pipeline_fc{i}_W", w, layers[i].WeightShape));
            inits.Add(OnnxBuilder.FloatTensor($"pipeline_fc{i}_B", b, [b.Length]));
            x = OnnxBuilder.Node(nodes, "Gemm", [x, $"pipeline_fc{i}_W", $"pipeline_fc{i}_B"], $"pipeline_fc{i}", ("transB", 1L));
            if (i < layers.Count - 1)
            {
                x = OnnxBuilder.Node(nodes, "Relu", [x], $"pipeline_relu{i}");
            }
        }

        if (m.MultiLabel == true)
        {
            // Multi-label: one independent probability per label, sigmoid(logits) (N, labels); no temperature.
            OnnxBuilder.Node(nodes, "Sigmoid", [x], OutputName);
        }
        else if (m.Temperature != 1)
        {
            // Temperature scaling: logits (N, classes) / T, the head's calibration fitted on held-out predictions.
            inits.Add(OnnxBuilder.FloatTensor("pipeline_temperature", [(float)m.Temperature], [1]));
            x = OnnxBuilder.Node(nodes, "Div", [x, "pipeline_temperature"], "pipeline_calibrated");
        }

        if (m.MultiLabel != true)
        {
            OnnxBuilder.Node(nodes, "Softmax", [x], OutputName, ("axis", 1L));
        }

        var p = backbone.Preprocessing;
        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.Output.Clear();
        g.Output.Add(OnnxBuilder.Value(OutputName, TensorProto.Types.DataType.Float, ["N", m.Classes.Count]));
        g.Name = "pipeline_classifier";
        model.ProducerName = "pipeline export";
        model.DocString = $"{m.Backbone.Name} + dense head; input {InputName} (N, {p.Height}, {p.Width}, 3) uint8 RGB, resized to size first ({p.Resize}); output {OutputName} (N, {m.Classes.Count})";
        model.MetadataProps.Clear();
        OnnxBuilder.Meta(model, "classes", JsonSerializer.Serialize(m.Classes));
        OnnxBuilder.Meta(model, "backbone", $"{m.Backbone.Name} sha256 {m.Backbone.Sha256}");
        OnnxBuilder.Meta(model, "preprocessing", p.Describe());
        OnnxBuilder.Meta(model, "input", $"{InputName}: (N, {p.Height}, {p.Width}, 3) uint8, RGB, NHWC");
        OnnxBuilder.Meta(model, "resize", ResizeContract(p));
        // The one pipeline.* key that holds for this file: its input is raw pixels, so no mean, std or channel key applies.
        new PipelineMetadata { Resize = p.Resize }.WriteTo(model);
        if (m.Backbone.Precision is { } precision)
        {
            OnnxBuilder.Meta(model, "feature_precision", $"the head was trained on {SettingNames.Of(precision)} features; this graph computes them in fp32");
        }
        if (m.Temperature != 1)
        {
            OnnxBuilder.Meta(model, "temperature", m.Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (m.MultiLabel == true)
        {
            // Label c is predicted where probabilities[:, c] >= thresholds[c].
            OnnxBuilder.Meta(model, "multiLabel", "true");
            OnnxBuilder.Meta(model, "thresholds", JsonSerializer.Serialize(m.Thresholds));
        }

        if (m.Backbone.Synthetic)
        {
            OnnxBuilder.Meta(model, "synthetic", "true");
        }

        AtomicFile.Write(path, model.ToByteArray());
    }

    /// <summary>What to do to a photo before it is fed in: the tool's own resize, stated for other runtimes.</summary>
    internal static string ResizeContract(Preprocessing p) => p.Resize == ResizeMode.Crop
        ? $"scale the shorter side to {Math.Max(p.Width, p.Height)} (bilinear), then cut the centre {p.Width}x{p.Height}"
        : $"stretch the whole image to {p.Width}x{p.Height} (bilinear)";
}
