using Google.Protobuf;
using System.Numerics.Tensors;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>
/// float32 → float16 rewrites of a backbone graph, done in the tool (no converter package). The graph keeps
/// float32 input and output, so the host buffers and the cache are unchanged:
/// <list type="bullet">
/// <item><see cref="Convert"/>: every float initializer, constant, Cast target and intermediate becomes
/// float16; a Cast at the input and one at the output bridge to float32. For CUDA's fp16 kernels.</item>
/// <item><see cref="Emulate"/>: weights rounded to float16 and back, and every node's output rounded the same
/// way (Cast to float16 and back): fp16 storage with fp32 arithmetic, which the CPU can run.</item>
/// </list>
/// </summary>
internal static class Float16Graph
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Float16 = (int)TensorProto.Types.DataType.Float16;

    /// <summary>Inputs that ONNX requires to stay float32 whatever the data type (Resize and Upsample scales).</summary>
    private static bool MustStayFloat(NodeProto node, int input) =>
        (node.OpType == "Resize" && input == 2) || (node.OpType == "Upsample" && input == 1);

    public static ModelProto Convert(ModelProto source)
    {
        var (model, keepFloat) = FoldAndRewriteWeights(source, ToHalf);
        var g = model.Graph;

        foreach (var node in g.Node)
        {
            foreach (var a in node.Attribute)
            {
                if (node.OpType == "Constant" && a.T is { DataType: Float } t && !keepFloat.Contains(node.Output[0]))
                {
                    ToHalf(t);
                }

                if (node.OpType == "Cast" && a.Name == "to" && a.I == Float)
                {
                    a.I = Float16;
                }
            }
        }

        foreach (var v in g.ValueInfo.Where(v => v.Type?.TensorType?.ElemType == Float))
        {
            v.Type.TensorType.ElemType = Float16;
        }

        // float32 at the edges: input → Cast(fp16) → the graph; the graph → Cast(fp32) → output.
        var nodes = new List<NodeProto>();
        foreach (var input in FloatInputs(g))
        {
            string half = input.Name + "_fp16";
            GraphSurgery.Rename(g.Node, input.Name, half, outputsToo: false);
            Cast(nodes, input.Name, half, Float16);
        }

        nodes.AddRange(g.Node);
        foreach (var output in g.Output.Where(o => o.Type?.TensorType?.ElemType == Float))
        {
            // Its producer and any node inside that reads it use the fp16 tensor; only the graph output is fp32.
            string half = output.Name + "_fp16";
            GraphSurgery.Rename(nodes, output.Name, half, outputsToo: true);
            Cast(nodes, half, output.Name, Float);
        }

        g.Node.Clear();
        g.Node.AddRange(nodes);
        return model;
    }

    public static ModelProto Emulate(ModelProto source)
    {
        var (model, keepFloat) = FoldAndRewriteWeights(source, RoundThroughHalf);
        var g = model.Graph;

        var floats = ElementTypes.FloatTensors(g);
        var nodes = new List<NodeProto>();
        foreach (var input in FloatInputs(g))
        {
            // The input as a fp16 graph sees it: rounded to float16.
            string rounded = input.Name + "_rounded";
            GraphSurgery.Rename(g.Node, input.Name, rounded, outputsToo: false);
            string half = Cast(nodes, input.Name, input.Name + "_fp16", Float16);
            Cast(nodes, half, rounded, Float);
        }

        foreach (var node in g.Node)
        {
            nodes.Add(node);
            // Only float activations are rounded: the int64 side graph (Shape → Gather → Concat → Reshape) keeps its values.
            if (node.OpType is "Constant" or "Shape" or "Cast" || node.Output.Count != 1 || keepFloat.Contains(node.Output[0]) || !floats.Contains(node.Output[0]))
            {
                continue;
            }

            // y → Cast(fp16) → Cast(fp32) → y: the activation stored as float16, as a fp16 graph would.
            string y = node.Output[0], exact = y + "_fp32";
            node.Output[0] = exact;
            string half = Cast(nodes, exact, y + "_fp16", Float16);
            Cast(nodes, half, y, Float);
        }

        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.ValueInfo.Clear();   // shapes are re-inferred; the renamed tensors have none recorded
        return model;
    }

    /// <summary>
    /// Folds every BatchNormalization that follows a Conv into the Conv's weights and bias, in float32. Besides
    /// saving a pass, it keeps the statistics out of float16: a running variance of raw-pixel inputs (72,282
    /// in the packaged ResNet18) exceeds float16's largest value, 65,504, and would become infinity.
    /// W' = W · γ/√(σ²+ε) per output channel, b' = (b − μ) · γ/√(σ²+ε) + β.
    /// </summary>
    internal static ModelProto FoldBatchNorms(ModelProto source)
    {
        var model = source.Clone();
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = g.Node.SelectMany(n => n.Input).GroupBy(x => x, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal);
        var producers = g.Node.Where(n => n.Output.Count > 0).ToDictionary(n => n.Output[0], StringComparer.Ordinal);
        var removed = new HashSet<NodeProto>();
        foreach (var bn in g.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (bn.Output.Count != 1 || !producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv" || consumers[bn.Input[0]] != 1
                || g.Output.Any(o => o.Name == bn.Input[0]) || bn.Input.Skip(1).Any(i => !inits.ContainsKey(i)) || !inits.ContainsKey(conv.Input[1]))
            {
                continue;
            }

            float eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var (gamma, beta, mean, variance) = (OnnxGraph.ToFloats(inits[bn.Input[1]]), OnnxGraph.ToFloats(inits[bn.Input[2]]),
                OnnxGraph.ToFloats(inits[bn.Input[3]]), OnnxGraph.ToFloats(inits[bn.Input[4]]));
            var weight = inits[conv.Input[1]];
            var w = OnnxGraph.ToFloats(weight);
            int channels = gamma.Length, perChannel = w.Length / channels;
            var bias = conv.Input.Count > 2 && inits.TryGetValue(conv.Input[2], out var b) ? OnnxGraph.ToFloats(b) : new float[channels];
            var newBias = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                double factor = gamma[c] / Math.Sqrt(variance[c] + eps);
                for (int i = 0; i < perChannel; i++)
                {
                    w[(c * perChannel) + i] = (float)(w[(c * perChannel) + i] * factor);
                }

                newBias[c] = (float)(((bias[c] - mean[c]) * factor) + beta[c]);
            }

            var folded = OnnxBuilder.FloatTensor(weight.Name + "_bnfolded", w, weight.Dims.ToArray());
            var foldedBias = OnnxBuilder.FloatTensor(bn.Output[0] + "_bias", newBias, [channels]);
            g.Initializer.Add(folded);
            g.Initializer.Add(foldedBias);
            conv.Input[1] = folded.Name;
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = foldedBias.Name;
            }
            else
            {
                conv.Input.Add(foldedBias.Name);
            }

            conv.Output[0] = bn.Output[0];
            removed.Add(bn);
        }

        var kept = g.Node.Where(n => !removed.Contains(n)).ToList();
        g.Node.Clear();
        g.Node.AddRange(kept);
        var used = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var unused = g.Initializer.Where(t => !used.Contains(t.Name)).ToList();
        unused.ForEach(t => g.Initializer.Remove(t));

        // Initializers listed as graph inputs (IR version 3 requires it) would keep their float32 type there.
        var listed = g.Input.Where(i => inits.ContainsKey(i.Name)).ToList();
        listed.ForEach(i => g.Input.Remove(i));
        model.IrVersion = Math.Max(model.IrVersion, 4);
        return model;
    }

    /// <summary>BatchNorms folded, then every float weight rewritten (to float16, or rounded through it); returns the tensors kept float32.</summary>
    private static (ModelProto Model, HashSet<string> KeepFloat) FoldAndRewriteWeights(ModelProto source, Action<TensorProto> rewrite)
    {
        var model = FoldBatchNorms(source);
        var keepFloat = KeepFloat(model.Graph);
        foreach (var init in model.Graph.Initializer.Where(t => t.DataType == Float && !keepFloat.Contains(t.Name)))
        {
            rewrite(init);
        }

        return (model, keepFloat);
    }

    /// <summary>A Cast node named after its output with a prefix of its own: a model's node names (often its outputs' names) stay unique.</summary>
    private static string Cast(List<NodeProto> nodes, string input, string output, int to)
    {
        OnnxBuilder.Node(nodes, "Cast", [input], output, ("to", (long)to));
        nodes[^1].Name = "pipeline_cast_" + output;
        return output;
    }

    /// <summary>Tensors that feed an input that must stay float32.</summary>
    private static HashSet<string> KeepFloat(GraphProto g) =>
        g.Node.SelectMany(n => n.Input.Select((name, i) => (n, name, i))).Where(x => MustStayFloat(x.n, x.i)).Select(x => x.name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The graph's real (not initializer) float32 inputs.</summary>
    private static List<ValueInfoProto> FloatInputs(GraphProto g) =>
        OnnxGraph.RealInputs(g).Where(i => i.Type?.TensorType?.ElemType == Float).ToList();

    private static void ToHalf(TensorProto t)
    {
        var values = OnnxGraph.ToFloats(t);
        var half = new Half[values.Length];
        TensorPrimitives.ConvertToHalf(values, half);
        t.FloatData.Clear();
        t.DataType = Float16;
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
    }

    private static void RoundThroughHalf(TensorProto t)
    {
        var values = OnnxGraph.ToFloats(t);
        var half = new Half[values.Length];
        TensorPrimitives.ConvertToHalf(values, half);
        TensorPrimitives.ConvertToSingle(half, values);
        t.FloatData.Clear();
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }
}
