using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Pipeline.Extractor;
using Pipeline.Extractor.Images;

namespace Pipeline.Head;

/// <summary>
/// Backbone + preprocessing + head as one ONNX graph: input <c>image</c> (N, H, W, 3) uint8 RGB at
/// the backbone's size (resize first, as the tool does), output <c>probabilities</c> (N, classes)
/// float32; class names in the metadata (<c>classes</c>, a JSON array).
/// </summary>
public static class ClassifierExport
{
    public const string InputName = "image";
    public const string OutputName = "probabilities";

    public static void Export(TrainedHead head, BackboneSpec spec, string path)
    {
        var m = head.Manifest;
        var graph = Backbone.Prepare(spec with { Backbone = spec.Backbone.Length > 0 ? spec.Backbone : m.Backbone.Name, Resize = m.Preprocessing.Resize });
        if (graph.Info.Sha256 != m.Backbone.Sha256 || !graph.Preprocessing.SameAs(m.Preprocessing))
        {
            throw new PipelineException($"backbone {graph.Info.Describe()} is not the one the head was trained on, {m.Backbone.Describe()} ({m.Backbone.File})",
                $"pass --backbone/--model naming the file the head was trained with ({m.Backbone.File})", ExitCode.CacheMismatch);
        }

        var model = graph.Model.Clone();
        var g = model.Graph;
        var p = graph.Preprocessing;
        var pre = new Preprocessor(p, graph.MeanImage);
        var nodes = new List<NodeProto>();
        var inits = new List<TensorProto>();

        // image (N, H, W, 3) uint8 → float → tensor layout and channel order → x * scale + offset.
        string x = Add(nodes, "Cast", [InputName], "pipeline_pixels", ("to", (long)TensorProto.Types.DataType.Float));
        long[] planeShape = [1, 3, p.Height, p.Width];
        if (p.Layout == TensorLayout.Nchw)
        {
            x = Add(nodes, "Transpose", [x], "pipeline_nchw", ("perm", new long[] { 0, 3, 1, 2 }));
        }
        else
        {
            planeShape = [1, p.Height, p.Width, 3];
        }

        if (p.ColorOrder == ColorOrder.Bgr)
        {
            inits.Add(Int64Tensor("pipeline_bgr", [2, 1, 0]));
            x = Add(nodes, "Gather", [x, "pipeline_bgr"], "pipeline_bgr_pixels", ("axis", p.Layout == TensorLayout.Nchw ? 1L : 3L));
        }

        inits.Add(FloatTensor("pipeline_scale", pre.ScalePlane.ToArray(), planeShape));
        inits.Add(FloatTensor("pipeline_offset", pre.OffsetPlane.ToArray(), planeShape));
        x = Add(nodes, "Mul", [x, "pipeline_scale"], "pipeline_scaled");
        x = Add(nodes, "Add", [x, "pipeline_offset"], "pipeline_normalised");

        // The backbone reads the normalised tensor instead of its old input.
        foreach (var node in g.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == graph.InputName)
                {
                    node.Input[i] = x;
                }
            }
        }

        nodes.AddRange(g.Node);

        // Head: flatten, standardise, Linear/ReLU layers, softmax.
        x = Add(nodes, "Flatten", [graph.Info.FeatureTensor], "pipeline_features", ("axis", 1L));
        var (mean, invStd) = head.Model.Standardization();
        inits.Add(FloatTensor("pipeline_feature_mean", mean, [mean.Length]));
        inits.Add(FloatTensor("pipeline_feature_inv_std", invStd, [invStd.Length]));
        x = Add(nodes, "Sub", [x, "pipeline_feature_mean"], "pipeline_centred");
        x = Add(nodes, "Mul", [x, "pipeline_feature_inv_std"], "pipeline_standardised");
        var layers = head.Model.LinearLayers();
        for (int i = 0; i < layers.Count; i++)
        {
            var (w, shape, b) = layers[i];
            inits.Add(FloatTensor($"pipeline_fc{i}_W", w, shape));
            inits.Add(FloatTensor($"pipeline_fc{i}_B", b, [b.Length]));
            x = Add(nodes, "Gemm", [x, $"pipeline_fc{i}_W", $"pipeline_fc{i}_B"], $"pipeline_fc{i}", ("transB", 1L));
            if (i < layers.Count - 1)
            {
                x = Add(nodes, "Relu", [x], $"pipeline_relu{i}");
            }
        }

        Add(nodes, "Softmax", [x], OutputName, ("axis", 1L));

        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.Initializer.AddRange(inits);
        g.Input.Clear();
        g.Input.Add(Value(InputName, TensorProto.Types.DataType.Uint8, ["N", p.Height, p.Width, 3]));
        g.Output.Clear();
        g.Output.Add(Value(OutputName, TensorProto.Types.DataType.Float, ["N", m.Classes.Count]));
        g.ValueInfo.Clear();
        g.Name = "pipeline_classifier";
        model.IrVersion = Math.Max(model.IrVersion, 4);   // initializers need not be graph inputs
        model.ProducerName = "pipeline export";
        model.DocString = $"{m.Backbone.Name} + dense head; input {InputName} (N, {p.Height}, {p.Width}, 3) uint8 RGB, resized to size first ({p.Resize}); output {OutputName} (N, {m.Classes.Count})";
        model.MetadataProps.Clear();
        Meta(model, "classes", JsonSerializer.Serialize(m.Classes));
        Meta(model, "backbone", $"{m.Backbone.Name} sha256 {m.Backbone.Sha256}");
        Meta(model, "preprocessing", p.Describe());
        if (m.Backbone.Synthetic)
        {
            Meta(model, "synthetic", "true");
        }

        File.WriteAllBytes(path, model.ToByteArray());
    }

    private static void Meta(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    private static string Add(List<NodeProto> nodes, string op, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                long[] ints => Ints(name, ints),
                _ => throw new ArgumentException($"attribute {name}"),
            });
        }

        nodes.Add(node);
        return output;
    }

    private static AttributeProto Ints(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static TensorProto FloatTensor(string name, float[] values, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static TensorProto Int64Tensor(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.AddRange(values);
        t.Dims.Add(values.Length);
        return t;
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
