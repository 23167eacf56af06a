using Onnx;

namespace Pipeline.Extractor.Surgery;

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
internal static partial class Int8Graph
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
}
