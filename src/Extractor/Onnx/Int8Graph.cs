using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// Static int8 quantization of a float32 backbone graph in QDQ form, done in the tool (no converter package),
/// as ONNX Runtime's own quantizer lays it out so that its graph optimizer fuses each
/// DequantizeLinear → op → QuantizeLinear group into an integer kernel (QLinearConv, QGemm, QLinearAdd, …):
/// <list type="bullet">
/// <item>weights of Conv, Gemm and MatMul: int8, symmetric, one scale per output channel, stored as int8
/// initializers behind a DequantizeLinear; biases int32 at scale (input scale × weight scale);</item>
/// <item>activations: uint8 with a zero point, one scale per tensor, from calibrated ranges (<see cref="Plan"/>
/// lists the tensors to calibrate);</item>
/// <item>a Relu or Clip(0, ≤6) right after a quantized op is dropped: the uint8 range [0, max] of its output clamps
/// exactly as it did;</item>
/// <item>MaxPool, Flatten, Reshape and Transpose keep their input's scale, so ONNX Runtime runs them on uint8.</item>
/// </list>
/// The graph output stays float32, computed by its own node from dequantized inputs.
/// </summary>
internal static class Int8Graph
{
    private const int Float = (int)TensorProto.Types.DataType.Float;

    /// <summary>Ops whose activation inputs and output are quantized (with a constant weight, for the first three).</summary>
    private static readonly HashSet<string> Computing = ["Conv", "Gemm", "MatMul", "Add", "Concat"];

    /// <summary>Ops that move values without arithmetic: their output reuses their input's scale and zero point.</summary>
    private static readonly HashSet<string> Moving = ["MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze"];

    /// <summary>Ops whose meaning at the source's opset is the same at opset 13 (quantization needs 13: per-channel DequantizeLinear).</summary>
    private static readonly HashSet<string> SameAtOpset13 =
        ["Conv", "Relu", "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul",
         "Concat", "Flatten", "Reshape", "Transpose", "Identity", "LeakyRelu", "Sigmoid", "Clip", "BatchNormalization", "Dropout"];

    /// <summary>What to quantize in a graph: the tensors to calibrate, and the activations to drop.</summary>
    /// <param name="Calibrated">Tensors whose range calibration measures, in the float graph.</param>
    /// <param name="SharedWith">Tensors that take another tensor's scale and zero point (outputs of MaxPool and the like).</param>
    /// <param name="Dropped">Relu and Clip nodes the uint8 range replaces, by their output name.</param>
    /// <param name="Weighted">Conv, Gemm and MatMul nodes whose weights become int8.</param>
    /// <param name="KeepFloat">Nodes left in float by name (their weights too), because quantizing them cost accuracy.</param>
    internal sealed record Plan(IReadOnlyList<string> Calibrated, IReadOnlyDictionary<string, string> SharedWith, IReadOnlySet<string> Dropped, int Weighted, int FloatOps,
        IReadOnlySet<string> KeepFloat);

    /// <summary>Conv, Gemm and MatMul nodes with a constant float weight: the ones quantization makes integer, by name.</summary>
    public static IReadOnlyList<string> WeightedNodes(ModelProto model)
    {
        var inits = model.Graph.Initializer.Where(t => t.DataType == Float).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Input.Count > 1 && inits.Contains(n.Input[1])).Select(Id).ToList();
    }

    /// <summary>A node's name, or its first output's where it has none (many exporters leave names empty).</summary>
    public static string Id(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output[0];

    /// <summary>Decides what <see cref="Quantize"/> will do to <paramref name="model"/> (BatchNorms already folded); nodes named in <paramref name="keepFloat"/> stay float.</summary>
    public static Plan MakePlan(ModelProto model, string file, IReadOnlySet<string>? keepFloat = null)
    {
        keepFloat ??= new HashSet<string>(StringComparer.Ordinal);
        var g = model.Graph;
        CheckOpset(model, file);
        // Constants (initializers and Constant nodes' outputs) are never calibrated; only float tensors are quantized, so
        // the int64 side graph of a torch export (Shape → Gather → Concat → Reshape) is left as it is.
        var inits = g.Initializer.Select(t => t.Name).Concat(g.Node.Where(n => n.OpType == "Constant").SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        var floats = ElementTypes.FloatTensors(g);
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = Consumers(g);
        var quantized = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string t)
        {
            if (t.Length > 0 && !inits.Contains(t) && !outputs.Contains(t) && seen.Add(t))
            {
                quantized.Add(t);
            }
        }

        bool IsWeighted(NodeProto n) => n.OpType is "Conv" or "Gemm" or "MatMul";
        IEnumerable<string> ActivationInputs(NodeProto n) => IsWeighted(n) ? n.Input.Take(1) : n.Input;
        var quantizing = g.Node.Where(n => Computing.Contains(n.OpType) && !keepFloat.Contains(Id(n)) && n.Output.Count > 0 && floats.Contains(n.Output[0])
            && ActivationInputs(n).All(floats.Contains)
            && (!IsWeighted(n) || (n.Input.Count > 1 && g.Initializer.Any(t => t.Name == n.Input[1]) && IsFloat(g, n.Input[1])))).ToHashSet(ReferenceEqualityComparer.Instance);

        // Every output of a quantized op is quantized (its integer kernel writes uint8), except one that feeds a node kept
        // in float, directly or through moving ops, and that no integer kernel reads: that one stays float, so the kept
        // node reads exact values (its producer then runs in float too).
        bool ReadQuantized(string t, int depth = 0) => depth < 32 && consumers.GetValueOrDefault(t) is { } readers
            && readers.Any(c => (quantizing.Contains(c) && ActivationInputs(c).Contains(t)) || (Moving.Contains(c.OpType) && ReadQuantized(c.Output[0], depth + 1)));
        bool FeedsKeptFloat(string t, int depth = 0) => depth < 32 && consumers.GetValueOrDefault(t) is { } readers
            && readers.Any(c => keepFloat.Contains(Id(c)) || (Moving.Contains(c.OpType) && FeedsKeptFloat(c.Output[0], depth + 1)));
        bool Quantized(string t) => ReadQuantized(t) || !FeedsKeptFloat(t);

        var dropped = new HashSet<string>(StringComparer.Ordinal);
        int weighted = 0;
        foreach (var node in g.Node.Where(quantizing.Contains))
        {
            weighted += IsWeighted(node) ? 1 : 0;
            foreach (var input in ActivationInputs(node))
            {
                Add(input);
            }

            // Its output: through a Relu or Clip(0, ≤6) that only it feeds, which the uint8 range then replaces.
            // When that rectified output stays float (it feeds a kept node), so does the raw one.
            string output = node.Output[0];
            if (consumers.GetValueOrDefault(output) is [var act] && !outputs.Contains(output) && IsRectifier(act, g) && !outputs.Contains(act.Output[0]))
            {
                if (Quantized(act.Output[0]))
                {
                    dropped.Add(act.Output[0]);
                    Add(act.Output[0]);
                }
            }
            else if (Quantized(output))
            {
                Add(output);
            }
        }

        // Moving ops carry their input's parameters forward (repeat until no new tensor: chains of them).
        var shared = new Dictionary<string, string>(StringComparer.Ordinal);
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var node in g.Node.Where(n => Moving.Contains(n.OpType) && n.Input.Count > 0 && n.Output.Count > 0))
            {
                string from = node.Input[0], to = node.Output[0];
                if ((seen.Contains(from) || shared.ContainsKey(from)) && !outputs.Contains(to) && !seen.Contains(to) && !shared.ContainsKey(to) && Quantized(to))
                {
                    shared[to] = shared.GetValueOrDefault(from, from);
                    grew = true;
                }
            }
        }

        int floatOps = g.Node.Count(n => !Computing.Contains(n.OpType) && !Moving.Contains(n.OpType) && n.OpType != "Constant" && n.Output.Count > 0 && !dropped.Contains(n.Output[0]));
        return new Plan(quantized, shared, dropped, weighted, floatOps, keepFloat);
    }

    /// <summary>
    /// The QDQ graph: <paramref name="ranges"/> holds (min, max) of every tensor the plan calibrates, measured on the
    /// float graph. <paramref name="weightBits"/> 7 keeps every u8×s8 pair sum within int16 (AVX2's VPMADDUBSW saturates
    /// at 8 bits; VNNI does not), 8 uses the full int8 range.
    /// </summary>
    public static ModelProto Quantize(ModelProto folded, Plan plan, IReadOnlyDictionary<string, (float Min, float Max)> ranges, int weightBits)
    {
        var model = folded.Clone();
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var graphInputs = OnnxGraph.RealInputs(g).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);

        // Activation parameters: asymmetric uint8 over [min(min, 0), max(max, 0)].
        var qparams = new Dictionary<string, (float Scale, byte Zero)>(StringComparer.Ordinal);
        foreach (var t in plan.Calibrated)
        {
            var (lo, hi) = ranges[t];
            lo = Math.Min(lo, 0);
            hi = Math.Max(hi, 0);
            float scale = hi > lo ? (hi - lo) / 255f : 1f;
            qparams[t] = (scale, (byte)Math.Clamp(Math.Round(-lo / scale), 0, 255));
        }

        foreach (var (t, from) in plan.SharedWith)
        {
            qparams[t] = qparams[from];
        }

        var kept = g.Node.Where(n => plan.KeepFloat.Contains(Id(n))).ToHashSet(ReferenceEqualityComparer.Instance);

        // Drop the rectifiers: their producer writes their output name.
        var byOutput = g.Node.Where(n => n.Output.Count > 0).ToDictionary(n => n.Output[0], StringComparer.Ordinal);
        foreach (var name in plan.Dropped)
        {
            var act = byOutput[name];
            byOutput[act.Input[0]].Output[0] = name;
            g.Node.Remove(act);
        }

        var nodes = new List<NodeProto>();
        var dequantized = new Dictionary<string, string>(StringComparer.Ordinal);
        string Qdq(string t)
        {
            var (scale, zero) = qparams[t];
            string s = AddScalar(g, t + "_scale", scale), z = AddZero(g, t + "_zero_point", zero);
            string q = OnnxBuilder.Node(nodes, "QuantizeLinear", [t, s, z], t + "_quantized");
            nodes[^1].Name = "pipeline_q_" + t;
            string dq = OnnxBuilder.Node(nodes, "DequantizeLinear", [q, s, z], t + "_dequantized");
            nodes[^1].Name = "pipeline_dq_" + t;
            dequantized[t] = dq;
            return dq;
        }

        foreach (var input in graphInputs.Where(qparams.ContainsKey))
        {
            Qdq(input);
        }

        var weightDone = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in g.Node.ToList())
        {
            string activation = node.Input.Count > 0 ? node.Input[0] : "";   // its name before it reads the dequantized copy
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (dequantized.TryGetValue(node.Input[i], out var dq))
                {
                    node.Input[i] = dq;
                }
            }

            if (node.OpType is "Conv" or "Gemm" or "MatMul" && !kept.Contains(node) && node.Input.Count > 1 && inits.TryGetValue(node.Input[1], out var w) && w.DataType == Float
                && qparams.TryGetValue(activation, out var input))
            {
                int axis = node.OpType switch
                {
                    "Conv" => 0,
                    "Gemm" => node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I == 1 ? 0 : 1,
                    _ => 1,
                };
                var (wq, wScales) = QuantizeWeight(g, nodes, w, axis, weightBits, weightDone);
                node.Input[1] = wq;
                if (node.OpType is "Conv" or "Gemm" && node.Input.Count > 2 && inits.TryGetValue(node.Input[2], out var b) && b.DataType == Float)
                {
                    node.Input[2] = QuantizeBias(g, nodes, b, node.Output[0], input.Scale, wScales);
                }
            }

            nodes.Add(node);
            if (node.Output.Count > 0 && qparams.ContainsKey(node.Output[0]))
            {
                Qdq(node.Output[0]);
            }
        }

        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.ValueInfo.Clear();   // re-inferred by the runtime; the renamed tensors have none recorded
        var used = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unused in g.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            g.Initializer.Remove(unused);
        }

        SetOpset13(model);
        return model;
    }

    /// <summary>int8 weights, one symmetric scale per slice along <paramref name="axis"/>, behind a DequantizeLinear.</summary>
    private static (string Output, float[] Scales) QuantizeWeight(GraphProto g, List<NodeProto> nodes, TensorProto w, int axis, int bits, Dictionary<string, string> done)
    {
        var values = OnnxGraph.ToFloats(w);
        var dims = w.Dims.ToArray();
        int channels = (int)dims[axis];
        long inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        float qmax = (1 << (bits - 1)) - 1;   // 127, or 63 at 7 bits
        var scales = new float[channels];
        for (long i = 0; i < values.Length; i++)
        {
            int c = (int)(i / inner % channels);
            scales[c] = Math.Max(scales[c], Math.Abs(values[i]));
        }

        for (int c = 0; c < channels; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / qmax : 1f;
        }

        if (done.TryGetValue(w.Name, out var existing))
        {
            return (existing, scales);
        }

        var q = new sbyte[values.Length];
        for (long i = 0; i < values.Length; i++)
        {
            q[i] = (sbyte)Math.Clamp(Math.Round(values[i] / scales[(int)(i / inner % channels)]), -qmax, qmax);
        }

        var tensor = new TensorProto { Name = w.Name + "_quantized", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan())) };
        tensor.Dims.AddRange(dims);
        g.Initializer.Add(tensor);
        g.Initializer.Add(OnnxBuilder.FloatTensor(w.Name + "_scale", scales, [channels]));
        g.Initializer.Add(Typed(w.Name + "_zero_point", TensorProto.Types.DataType.Int8, new byte[channels], [channels]));
        string output = OnnxBuilder.Node(nodes, "DequantizeLinear", [tensor.Name, w.Name + "_scale", w.Name + "_zero_point"], w.Name + "_dequantized", ("axis", (long)axis));
        nodes[^1].Name = "pipeline_dq_" + w.Name;
        done[w.Name] = output;
        return (output, scales);
    }

    /// <summary>An int32 bias at scale (input scale × weight scale) per channel, as the integer kernels add it.</summary>
    private static string QuantizeBias(GraphProto g, List<NodeProto> nodes, TensorProto b, string owner, float inputScale, float[] weightScales)
    {
        var values = OnnxGraph.ToFloats(b);
        var scales = weightScales.Select(s => s * inputScale).ToArray();
        var q = values.Select((v, c) => (int)Math.Clamp(Math.Round(v / scales[c]), int.MinValue, int.MaxValue)).ToArray();
        string name = owner + "_bias";
        var tensor = new TensorProto { Name = name + "_quantized", DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan())) };
        tensor.Dims.Add(values.Length);
        g.Initializer.Add(tensor);
        g.Initializer.Add(OnnxBuilder.FloatTensor(name + "_scale", scales, [values.Length]));
        g.Initializer.Add(Typed(name + "_zero_point", TensorProto.Types.DataType.Int32, new byte[4 * values.Length], [values.Length]));
        string output = OnnxBuilder.Node(nodes, "DequantizeLinear", [tensor.Name, name + "_scale", name + "_zero_point"], name + "_dequantized", ("axis", 0L));
        nodes[^1].Name = "pipeline_dq_" + name;
        return output;
    }

    private static string AddScalar(GraphProto g, string name, float value)
    {
        if (g.Initializer.All(t => t.Name != name))
        {
            g.Initializer.Add(OnnxBuilder.FloatTensor(name, [value], []));
        }

        return name;
    }

    private static string AddZero(GraphProto g, string name, byte value)
    {
        if (g.Initializer.All(t => t.Name != name))
        {
            g.Initializer.Add(Typed(name, TensorProto.Types.DataType.Uint8, [value], []));
        }

        return name;
    }

    private static TensorProto Typed(string name, TensorProto.Types.DataType type, byte[] raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>Relu, or Clip with a constant 0 floor and a ceiling of at most 6 (ReLU6): what a [0, max] uint8 range reproduces.</summary>
    private static bool IsRectifier(NodeProto node, GraphProto g)
    {
        if (node.OpType == "Relu")
        {
            return true;
        }

        if (node.OpType != "Clip")
        {
            return false;
        }

        float? Const(int i, string attribute)
        {
            if (node.Input.Count > i && node.Input[i].Length > 0)
            {
                // An initializer, or a Constant node's value (torch.onnx writes ReLU6's bounds that way).
                var t = g.Initializer.FirstOrDefault(x => x.Name == node.Input[i])
                    ?? g.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Contains(node.Input[i]))?.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
                return t is { DataType: Float } ? OnnxGraph.ToFloats(t)[0] : null;
            }

            return node.Attribute.FirstOrDefault(a => a.Name == attribute)?.F;
        }

        return Const(1, "min") == 0f && Const(2, "max") is { } max && max <= 6f;
    }

    private static bool IsFloat(GraphProto g, string name) => g.Initializer.First(t => t.Name == name).DataType == Float;

    private static Dictionary<string, List<NodeProto>> Consumers(GraphProto g)
    {
        var map = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            foreach (var i in n.Input.Where(i => i.Length > 0).Distinct())
            {
                (map.TryGetValue(i, out var list) ? list : map[i] = []).Add(n);
            }
        }

        return map;
    }

    private static long DefaultOpset(ModelProto model) => model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1;

    /// <summary>Per-channel DequantizeLinear needs opset 13; an older graph is raised to it only when every op means the same there.</summary>
    private static void CheckOpset(ModelProto model, string file)
    {
        if (DefaultOpset(model) >= 13)
        {
            return;
        }

        var changed = model.Graph.Node.Select(n => n.OpType).Where(op => !SameAtOpset13.Contains(op)).Distinct().ToList();
        if (changed.Count > 0)
        {
            Throw.BadModel(file, $"is ONNX opset {DefaultOpset(model)} and uses {string.Join(", ", changed)}, whose meaning changed by opset 13, which quantization needs",
                "re-export the model at opset 13 or later");
        }

        if (DefaultOpset(model) < 11 && model.Graph.Node.Any(n => n.OpType == "Clip"))
        {
            Throw.BadModel(file, $"is ONNX opset {DefaultOpset(model)} with Clip bounds as attributes", "re-export the model at opset 13 or later");
        }
    }

    private static void SetOpset13(ModelProto model)
    {
        var onnx = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (onnx is null)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        }
        else if (onnx.Version < 13)
        {
            onnx.Version = 13;
        }

        model.IrVersion = Math.Max(model.IrVersion, 7);
    }
}
