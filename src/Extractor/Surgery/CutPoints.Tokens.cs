using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>The cuts of a transformer backbone: its token sequence and its pooled embedding.</summary>
internal static partial class CutPoints
{
    /// <summary>
    /// A transformer's cuts, or none for a CNN. Without a classifier (ViTModel, a CLIP image tower): each graph output
    /// of rank 3 (N, T, D) is a token sequence and each of rank 2 (N, D) an embedding (a pooler or a projection). With
    /// one (ViTForImageClassification): the classifier reads a Gather (the class token) or ReduceMean over axis 1 of a
    /// token sequence, and both are cuts.
    /// </summary>
    private static List<CutPoint> Tokens(ModelProto model, NodeProto? classifier)
    {
        var g = model.Graph;
        var points = new List<CutPoint>();
        var shapes = StaticShapes(model);
        int? Rank(string tensor) => shapes?.ShapeOf(tensor)?.Length ?? (g.Output.FirstOrDefault(o => o.Name == tensor)?.Type?.TensorType?.Shape is { Dim.Count: > 0 } s ? s.Dim.Count : null);
        if (classifier is null)
        {
            if (!g.Output.Any(o => Rank(o.Name) == 3))
            {
                return points;
            }

            foreach (var o in g.Output)
            {
                if (Rank(o.Name) == 3)
                {
                    points.Add(new CutPoint(CutKind.TokenSequence, o.Name, "a graph output: the token sequence, class token first (--pool cls or mean)"));
                }
                else if (Rank(o.Name) == 2)
                {
                    points.Add(new CutPoint(CutKind.Embedding, o.Name, $"a graph output: a pooled embedding ({Producer(g, o.Name)?.OpType ?? "input"})"));
                }
            }

            return points;
        }

        string penultimate = Walk(g, classifier.Input[0]);
        var pool = Producer(g, penultimate);
        bool tokenPool = pool is not null && pool.Input.Count > 0 && Rank(pool.Input[0]) == 3
            && ((pool.OpType == "Gather" && pool.Attribute.FirstOrDefault(a => a.Name == "axis")?.I == 1)
                || (pool.OpType == "ReduceMean" && pool.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints is [1]));
        if (tokenPool)
        {
            string describe = Describe(classifier, model);
            points.Add(new CutPoint(CutKind.TokenSequence, pool!.Input[0], $"the token sequence {pool.OpType} '{pool.Name}' reads (--pool cls or mean)"));
            points.Add(new CutPoint(CutKind.Embedding, penultimate, $"{(pool.OpType == "Gather" ? "the class token" : "the token mean")}, read by the {describe}"));
        }

        return points;
    }

    /// <summary>Shapes for one image at the input's size (224 where it is symbolic), or null for a graph without an image input.</summary>
    private static ShapePropagation? StaticShapes(ModelProto model)
    {
        var input = OnnxGraph.RealInputs(model.Graph).FirstOrDefault();
        var dims = input?.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue > 0 ? d.DimValue : 224).ToArray();
        if (input is null || dims is not { Length: 4 })
        {
            return null;
        }

        dims[0] = 1;
        var shapes = new ShapePropagation(model.Graph, input.Name, dims);
        foreach (var node in model.Graph.Node)
        {
            try
            {
                if (!shapes.Step(node, out _))
                {
                    break;
                }
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or OverflowException or DivideByZeroException)
            {
                break;
            }
        }

        return shapes;
    }
}
