using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// A backbone as one ONNX graph behind its own preprocessing: input <see cref="InputName"/> (N, H, W, 3)
/// uint8 RGB, already resized to the preprocessing's size; output <see cref="FeatureTensor"/>, the rows
/// a cache holds. Built only from operators every common runtime has (Cast, Transpose, Split, Concat,
/// Mul, Add), so ONNX Runtime and OpenCV's DNN module (4.6, Debian's) both load it.
/// </summary>
internal sealed record BackboneGraph(ModelProto Model, string InputName, string FeatureTensor, BackboneInfo Info, Preprocessing Preprocessing)
{
    /// <summary>The feature space this graph computes (what a head on top must have been trained on).</summary>
    public FeatureSpace Space => new() { Backbone = Info, Preprocessing = Preprocessing };

    /// <summary>Loads the backbone the spec names and puts its preprocessing in front of it.</summary>
    public static BackboneGraph Build(BackboneSpec spec, string inputName = "image")
    {
        var graph = Backbone.Prepare(spec);
        if (spec.Precision == Precision.Int8)
        {
            // The int8 file the features came from (its mean image is inside it): the exported graph computes what predict does.
            var int8 = Backbone.QuantizedFile(spec, graph, null);
            graph = graph with { Model = OnnxGraph.Load(int8.File), MeanImage = null, Info = graph.Info with { Quantized = int8 } };
        }

        var p = graph.Preprocessing;
        var pre = new Preprocessor(p, graph.MeanImage);
        var model = graph.Model.Clone();
        var g = model.Graph;
        var nodes = new List<NodeProto>();

        // image (N, H, W, 3) uint8 → float → tensor layout → channel order → x * scale + offset.
        string x = OnnxBuilder.Node(nodes, "Cast", [inputName], "pipeline_pixels", ("to", (long)TensorProto.Types.DataType.Float));
        // Scale and offset planes without a batch axis: (3, H, W) broadcasts over N in every runtime, where
        // (1, 3, H, W) makes OpenCV's DNN treat the Add as an element-wise sum of equal batches.
        long[] planeShape = [3, p.Height, p.Width];
        long channelAxis = 1;
        if (p.Layout == TensorLayout.Nchw)
        {
            x = OnnxBuilder.Node(nodes, "Transpose", [x], "pipeline_nchw", ("perm", new long[] { 0, 3, 1, 2 }));
        }
        else
        {
            planeShape = [p.Height, p.Width, 3];
            channelAxis = 3;
        }

        if (p.ColorOrder == ColorOrder.Bgr)
        {
            // RGB → BGR as three equal slices concatenated in reverse (Gather would do it in one node,
            // but OpenCV's DNN importer refuses Gather on an activation).
            var rgb = OnnxBuilder.Node(nodes, "Split", [x], ["pipeline_r", "pipeline_g", "pipeline_b"], ("axis", channelAxis));
            x = OnnxBuilder.Node(nodes, "Concat", [rgb[2], rgb[1], rgb[0]], "pipeline_bgr_pixels", ("axis", channelAxis));
        }

        g.Initializer.Add(OnnxBuilder.FloatTensor("pipeline_scale", pre.ScalePlane.ToArray(), planeShape));
        g.Initializer.Add(OnnxBuilder.FloatTensor("pipeline_offset", pre.OffsetPlane.ToArray(), planeShape));
        x = OnnxBuilder.Node(nodes, "Mul", [x, "pipeline_scale"], "pipeline_scaled");
        x = OnnxBuilder.Node(nodes, "Add", [x, "pipeline_offset"], "pipeline_normalised");

        // The backbone reads the normalised tensor instead of its old input.
        GraphSurgery.Rename(g.Node, graph.InputName, x);

        foreach (var node in g.Node.Where(n => n.OpType is "MaxPool" or "AveragePool"))
        {
            // Pooling attributes at ONNX's default value (0) say nothing, and OpenCV's importer cannot parse them.
            var defaults = node.Attribute.Where(a => a.Name is "storage_order" or "count_include_pad" or "ceil_mode" && a.Type == AttributeProto.Types.AttributeType.Int && a.I == 0).ToList();
            defaults.ForEach(a => node.Attribute.Remove(a));
        }

        nodes.AddRange(g.Node);
        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.Input.Clear();
        g.Input.Add(OnnxBuilder.Value(inputName, TensorProto.Types.DataType.Uint8, ["N", p.Height, p.Width, 3]));
        g.ValueInfo.Clear();
        model.IrVersion = Math.Max(model.IrVersion, 4);   // initializers need not be graph inputs
        return new BackboneGraph(model, inputName, graph.Info.FeatureTensor, graph.Info, p);
    }
}
