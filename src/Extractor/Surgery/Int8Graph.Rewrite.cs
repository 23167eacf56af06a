using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>The QDQ rewrite itself: int8 weights and int32 biases behind DequantizeLinear, a Quantize/Dequantize pair after each planned activation.</summary>
internal static partial class Int8Graph
{
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

        // The graph's own names: a LayerNormalization 'x_scale' must not be taken for the scale of activation 'x'.
        var taken = OnnxGraph.TensorNames(g).Concat(g.Initializer.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        string Fresh(string name) => taken.Contains(name) ? "pipeline_" + name : name;

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
            string s = AddScalar(g, Fresh(t + "_scale"), scale), z = AddZero(g, Fresh(t + "_zero_point"), zero);
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
}
