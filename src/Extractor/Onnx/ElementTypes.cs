using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// The element type of every tensor in a graph, propagated node by node without running it: what the float rewrites
/// (fp16, int8) need to leave alone the int64 side graph that torch.onnx writes around Reshape and Expand
/// (Shape → Gather → Unsqueeze → Concat) and the Constant nodes that feed it.
/// </summary>
internal static class ElementTypes
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const int Bool = (int)TensorProto.Types.DataType.Bool;

    /// <summary>The names of the float32 tensors: graph inputs, initializers, Constant nodes' outputs and node outputs.</summary>
    public static HashSet<string> FloatTensors(GraphProto g) =>
        Of(g).Where(kv => kv.Value == Float).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>Each tensor's ONNX data type, where it can be told (an op it does not know takes its first input's).</summary>
    public static Dictionary<string, int> Of(GraphProto g)
    {
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in g.Input.Concat(g.ValueInfo))
        {
            if (v.Type?.TensorType is { ElemType: > 0 } t)
            {
                types[v.Name] = t.ElemType;
            }
        }

        foreach (var init in g.Initializer)
        {
            types[init.Name] = init.DataType;
        }

        foreach (var node in g.Node)
        {
            int? first = node.Input.Count > 0 && types.TryGetValue(node.Input[0], out var t0) ? t0 : null;
            int? type = node.OpType switch
            {
                "Constant" => ConstantType(node),
                "Shape" or "Size" or "ArgMax" or "ArgMin" or "NonZero" => Int64,
                "Cast" => (int?)node.Attribute.FirstOrDefault(a => a.Name == "to")?.I,
                "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "IsNaN" or "IsInf" => Bool,
                "Where" => node.Input.Count > 1 && types.TryGetValue(node.Input[1], out var tw) ? tw : null,
                "ConstantOfShape" => node.Attribute.FirstOrDefault(a => a.Name == "value")?.T?.DataType ?? Float,
                "DequantizeLinear" => Float,
                "QuantizeLinear" => node.Input.Count > 2 && types.TryGetValue(node.Input[2], out var tz) ? tz : (int)TensorProto.Types.DataType.Uint8,
                "Range" => first,
                _ => first,
            };
            if (type is { } known)
            {
                foreach (var o in node.Output.Where(o => o.Length > 0))
                {
                    types[o] = known;
                }
            }
        }

        return types;
    }

    private static int? ConstantType(NodeProto node)
    {
        var a = node.Attribute.FirstOrDefault();
        return a?.Name switch
        {
            "value" => a.T?.DataType,
            "value_float" or "value_floats" => Float,
            "value_int" or "value_ints" => Int64,
            _ => null,
        };
    }
}
