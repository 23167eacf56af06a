using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>
/// Finds a model's classifier (its last Gemm, MatMul with a constant weight, or 1×1 Conv, after which only
/// shape, pooling and softmax ops follow, as SqueezeNet and MobileNet end) and the cuts before it.
/// </summary>
internal static partial class CutPoints
{
    /// <summary>Ops that neither compute features nor change them, walked through backwards.</summary>
    private static readonly HashSet<string> PassThrough = ["Dropout", "Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze"];

    /// <summary>Global pools (ReduceMean over the spatial axes included, as TensorFlow exports write it).</summary>
    private static readonly HashSet<string> Pools = ["GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax", "AveragePool"];

    /// <summary>Ops that may follow a classifier: it is still the last layer that computes.</summary>
    private static readonly HashSet<string> AfterClassifier = ["Relu", "Softmax", "LogSoftmax", "Sigmoid", "GlobalAveragePool", "AveragePool", "ReduceMean", "Flatten", "Reshape", "Squeeze", "Identity", "Dropout", "Add", "Transpose",
         "Constant", "Shape", "Gather", "Unsqueeze", "Cast"];

    /// <summary>The classifier node of <paramref name="model"/>, or null when it has none (a conv base).</summary>
    public static NodeProto? Classifier(ModelProto model)
    {
        var g = model.Graph;
        var inits = Constants(g);
        var weighted = g.Node.LastOrDefault(n => n.OpType is "Gemm" or "MatMul" or "Conv" && n.Input.Count > 1 && inits.ContainsKey(n.Input[1]));
        if (weighted is null)
        {
            return null;
        }

        int index = g.Node.IndexOf(weighted);
        if (g.Node.Skip(index + 1).Any(n => !AfterClassifier.Contains(n.OpType)))
        {
            return null;
        }

        if (weighted.OpType == "Conv")
        {
            // A 1×1 convolution is a classifier only when something after it or right before it collapses the map to a vector.
            var w = inits[weighted.Input[1]];
            bool oneByOne = w.Dims.Count == 4 && w.Dims[2] == 1 && w.Dims[3] == 1;
            bool pooledAfter = g.Node.Skip(index + 1).Any(n => Pools.Contains(n.OpType));
            bool pooledBefore = Producer(g, Walk(g, weighted.Input[0]))?.OpType is { } op && Pools.Contains(op);
            return oneByOne && (pooledAfter || pooledBefore) ? weighted : null;
        }

        return weighted;
    }

    /// <summary>Every sensible cut, last feature map first; none for a graph without an input.</summary>
    public static IReadOnlyList<CutPoint> Find(ModelProto model)
    {
        var g = model.Graph;
        var points = new List<CutPoint>();
        var classifier = Classifier(model);
        if (Tokens(model, classifier) is { Count: > 0 } tokens)
        {
            return tokens;
        }

        if (classifier is null)
        {
            // A conv base: its output is the feature map, and any global pool inside is a cut too.
            string output = g.Output[0].Name;
            var pool = Producer(g, output);
            if (pool is not null && Pools.Contains(pool.OpType))
            {
                points.Add(new CutPoint(CutKind.LastFeatureMap, Walk(g, pool.Input[0]), $"the map {pool.OpType} '{pool.Name}' reads"));
                points.Add(new CutPoint(CutKind.GlobalPool, output, $"{pool.OpType} '{pool.Name}', the graph's output"));
            }
            else
            {
                points.Add(new CutPoint(CutKind.LastFeatureMap, output, "the graph's output: no classifier follows"));
            }

            return points;
        }

        // Back from the classifier along its first input, through any dense layers, to where the map became a vector.
        string penultimate = Walk(g, classifier.Input[0]);
        string describe = Describe(classifier, model);
        NodeProto? collapse = null;
        for (var n = Producer(g, classifier.Input[0]); n is not null && n.OpType is not "Conv"; n = n.Input.Count > 0 ? Producer(g, n.Input[0]) : null)
        {
            if (n.OpType is "Flatten" or "Reshape" or "Squeeze" || Pools.Contains(n.OpType))
            {
                collapse = n;
                break;
            }
        }

        if (collapse is not null && !Pools.Contains(collapse.OpType) && Producer(g, Walk(g, collapse.Input[0])) is { } pooled && Pools.Contains(pooled.OpType))
        {
            // GlobalAveragePool → Flatten → Gemm (torchvision, ResNet): the pool is where the map became a vector.
            collapse = pooled;
        }

        if (collapse is null)
        {
            points.Add(new CutPoint(CutKind.LastFeatureMap, penultimate, $"read by the {describe} directly: no pool between"));
            return points;
        }

        string map = Walk(g, collapse.Input[0]);
        points.Add(new CutPoint(CutKind.LastFeatureMap, map, $"the map {collapse.OpType} '{collapse.Name}' reads"));
        if (Pools.Contains(collapse.OpType))
        {
            points.Add(new CutPoint(CutKind.GlobalPool, collapse.Output[0], collapse.Output[0] == penultimate ? $"{collapse.OpType} '{collapse.Name}', read by the {describe}" : $"{collapse.OpType} '{collapse.Name}'"));
        }

        if (penultimate != map && penultimate != collapse.Output[0])
        {
            points.Add(new CutPoint(CutKind.Penultimate, penultimate, $"read by the {describe}"));
        }

        return points;
    }

    /// <summary>Constant tensors by name: initializers, and Constant nodes' values (older converters write weights that way).</summary>
    private static Dictionary<string, TensorProto> Constants(GraphProto g)
    {
        var constants = g.Initializer.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(t => t.Key, t => t.First(), StringComparer.Ordinal);
        foreach (var node in g.Node.Where(n => n.OpType == "Constant" && n.Output.Count == 1))
        {
            if (node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } t)
            {
                constants[node.Output[0]] = t;
            }
        }

        return constants;
    }

    private static string Describe(NodeProto classifier, ModelProto model)
    {
        var w = Constants(model.Graph)[classifier.Input[1]];
        string shape = string.Join("x", w.Dims);
        return classifier.OpType == "Conv" ? $"1x1 Conv classifier '{classifier.Name}' ({shape})" : $"{classifier.OpType} classifier '{classifier.Name}' ({shape})";
    }

    /// <summary>Back from <paramref name="tensor"/> through ops that pass values on unchanged (Dropout, Flatten, Reshape…).</summary>
    private static string Walk(GraphProto g, string tensor)
    {
        var producer = Producer(g, tensor);
        while (producer is not null && PassThrough.Contains(producer.OpType))
        {
            tensor = producer.Input[0];
            producer = Producer(g, tensor);
        }

        return tensor;
    }

    private static NodeProto? Producer(GraphProto g, string tensor) => g.Node.FirstOrDefault(n => n.Output.Contains(tensor));
}
