using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>What the plan and the rewrite ask of a graph: rectifiers a uint8 range replaces, consumers, and the opset quantization needs.</summary>
internal static partial class Int8Graph
{
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
