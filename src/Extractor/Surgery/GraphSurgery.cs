using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>Edits of a backbone graph: batch made dynamic, a global pool appended, a tensor renamed or made an output, the cut at a feature tensor.</summary>
internal static class GraphSurgery
{
    /// <summary>
    /// Replaces a fixed leading (batch) dimension with the symbol N on inputs, outputs and
    /// intermediate shapes, so that a model exported for batch 1 runs any batch. Only valid for
    /// graphs without a batch baked into Reshape constants; those are refused.
    /// </summary>
    public static bool MakeBatchDynamic(ModelProto model)
    {
        var graph = model.Graph;
        if (graph.Node.Any(n => n.OpType is "Reshape" or "Expand" or "Tile" or "ConstantOfShape"))
        {
            // A reshape constant may fix the batch too: leave the model as it is.
            return false;
        }

        bool changed = false;
        foreach (var v in OnnxGraph.RealInputs(graph).Concat(graph.Output).Concat(graph.ValueInfo))
        {
            var shape = v.Type?.TensorType?.Shape;
            if (shape is { Dim.Count: > 0 } && shape.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            {
                shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = OnnxGraph.BatchDim };
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>
    /// Appends GlobalAveragePool or GlobalMaxPool after <paramref name="tensor"/>, a feature map, and makes its
    /// (N, C, 1, 1) output the graph's only output; returns that output's name (<c>pipeline_avgpool</c> or
    /// <c>pipeline_maxpool</c>), which the feature space records. A channels-last map (N, H, W, C), as Keras models
    /// converted by tf2onnx have it, is transposed to (N, C, H, W) first, so the pool runs over H and W.
    /// </summary>
    public static string AppendGlobalPool(ModelProto model, string tensor, string op)
    {
        string output = op == "GlobalAveragePool" ? "pipeline_avgpool" : "pipeline_maxpool";
        var g = model.Graph;
        var elementType = g.Output.FirstOrDefault(o => o.Name == tensor)?.Type?.TensorType?.ElemType ?? (int)TensorProto.Types.DataType.Float;
        string input = tensor;
        if (IsChannelsLast(g, tensor))
        {
            input = OnnxBuilder.Node(g.Node, "Transpose", [tensor], "pipeline_channels_first", ("perm", new long[] { 0, 3, 1, 2 }));
        }

        g.Node.Add(new NodeProto { OpType = op, Name = output, Input = { input }, Output = { output } });
        g.Output.Clear();
        g.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType } } });
        return output;
    }

    /// <summary>
    /// Whether <paramref name="tensor"/> is a channels-last (N, H, W, C) map: walking back through ops that keep the
    /// layout (activations, element-wise arithmetic), a Transpose that moves channels last says yes; a Conv, a pool or a
    /// BatchNormalization (NCHW by definition in ONNX), or anything else, says no.
    /// </summary>
    public static bool IsChannelsLast(GraphProto g, string tensor)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            foreach (var o in n.Output)
            {
                producers[o] = n;
            }
        }

        for (int steps = 0; steps < 64 && producers.TryGetValue(tensor, out var node); steps++)
        {
            switch (node.OpType)
            {
                case "Transpose":
                    var perm = node.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints;
                    return perm is { Count: 4 } && perm[3] == 1 && perm[0] == 0;
                case "Relu" or "Clip" or "LeakyRelu" or "Sigmoid" or "HardSigmoid" or "HardSwish" or "Tanh" or "Elu" or "Selu" or "PRelu"
                    or "Add" or "Mul" or "Sub" or "Div" or "Identity" or "Dropout" or "Cast":
                    tensor = node.Input[0];
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>Every reference to tensor <paramref name="from"/> as a node input (and, with <paramref name="outputsToo"/>, as a node output) becomes <paramref name="to"/>.</summary>
    public static void Rename(IEnumerable<NodeProto> nodes, string from, string to, bool outputsToo = false)
    {
        foreach (var n in nodes)
        {
            Replace(n.Input, from, to);
            if (outputsToo)
            {
                Replace(n.Output, from, to);
            }
        }

        static void Replace(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
        {
            for (int i = 0; i < names.Count; i++)
            {
                names[i] = names[i] == from ? to : names[i];
            }
        }
    }

    /// <summary>A copy of <paramref name="model"/> whose outputs are <paramref name="tensors"/> (float32): to read intermediate tensors in one run.</summary>
    public static ModelProto WithFloatOutputs(ModelProto model, IEnumerable<string> tensors)
    {
        var probe = model.Clone();
        probe.Graph.Output.Clear();
        foreach (var t in tensors)
        {
            probe.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }

        return probe;
    }

    /// <summary>
    /// Makes <paramref name="tensor"/> the only output; drops nodes and initializers it does not need.
    /// A name not in the graph throws, listing the nearest names.
    /// </summary>
    public static ModelProto Cut(ModelProto model, string tensor, string file)
    {
        var graph = model.Graph;
        var names = OnnxGraph.TensorNames(graph).ToList();
        if (!names.Contains(tensor))
        {
            var nearest = Nearest.To(tensor, names, 5);
            Throw.BadModel(file, $"has no tensor '{tensor}'; nearest: {string.Join(", ", nearest)}", "name one of the graph's tensors ('models info' lists the pooling ones)");
        }

        var cut = model.Clone();
        var g = cut.Graph;
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in g.Node)
        {
            foreach (var o in node.Output)
            {
                producer[o] = node;
            }
        }

        // Walk back from the tensor to find every node and value it needs.
        var neededNodes = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var neededValues = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([tensor]);
        while (stack.Count > 0)
        {
            string name = stack.Pop();
            if (!neededValues.Add(name))
            {
                continue;
            }

            if (producer.TryGetValue(name, out var node) && neededNodes.Add(node))
            {
                foreach (var input in node.Input.Where(i => i.Length > 0))
                {
                    stack.Push(input);
                }
            }
        }

        var keptNodes = g.Node.Where(neededNodes.Contains).ToList();
        g.Node.Clear();
        g.Node.AddRange(keptNodes);
        var keptInit = g.Initializer.Where(i => neededValues.Contains(i.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(keptInit);
        var keptInputs = g.Input.Where(i => neededValues.Contains(i.Name)).ToList();
        g.Input.Clear();
        g.Input.AddRange(keptInputs);

        var info = g.ValueInfo.FirstOrDefault(v => v.Name == tensor) ?? g.Output.FirstOrDefault(v => v.Name == tensor)
            ?? new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } };
        g.Output.Clear();
        g.Output.Add(info.Clone());
        var keptInfo = g.ValueInfo.Where(v => neededValues.Contains(v.Name) && v.Name != tensor).ToList();
        g.ValueInfo.Clear();
        g.ValueInfo.AddRange(keptInfo);
        return cut;
    }
}
