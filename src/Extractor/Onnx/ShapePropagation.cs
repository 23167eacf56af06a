using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// Static shapes of a graph's tensors for one input shape, node by node, over the operators CNN and transformer
/// exports use (torch.onnx, tf2onnx). Small integer tensors (Shape, Constant, int64 initializers and the Gather /
/// Unsqueeze / Concat chains that torch writes to build Reshape targets) are folded to values, so Reshape and Expand
/// get their shapes. An operator it does not know, or an input it cannot see, makes <see cref="Step"/> false:
/// callers then give up (a FLOP count is NaN), never guess and never throw.
/// </summary>
internal sealed class ShapePropagation
{
    private static readonly HashSet<string> Unary =
        ["Relu", "Sigmoid", "Tanh", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Elu", "Selu", "Dropout", "Identity", "BatchNormalization", "Softmax", "LogSoftmax",
         "Erf", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Gelu", "Cast", "LayerNormalization", "InstanceNormalization", "Floor", "Ceil", "Round"];

    private static readonly HashSet<string> Broadcasting = ["Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Equal", "Less", "Greater", "Where", "Max", "Min"];

    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _values = new(StringComparer.Ordinal);

    public ShapePropagation(GraphProto graph, string input, long[] inputShape)
    {
        _shapes[input] = inputShape;
        foreach (var init in graph.Initializer)
        {
            _shapes[init.Name] = init.Dims.ToArray();
            if (ShapeMath.IntValues(init) is { } v)
            {
                _values[init.Name] = v;
            }
        }
    }

    /// <summary>The shape of <paramref name="tensor"/>, or null where it is not known (yet).</summary>
    public long[]? ShapeOf(string tensor) => _shapes.GetValueOrDefault(tensor);

    /// <summary>
    /// Computes <paramref name="node"/>'s output shapes; <paramref name="multiplyAdds"/> is its multiply-adds for
    /// Conv, Gemm and MatMul (0 for every other op). False when the op or one of its inputs is unknown.
    /// </summary>
    public bool Step(NodeProto node, out double multiplyAdds)
    {
        multiplyAdds = 0;
        if (node.Output.Count == 0 || !node.Input.Where(i => i.Length > 0).All(_shapes.ContainsKey))
        {
            return false;
        }

        if (node.OpType == "Constant")
        {
            return Constant(node);
        }

        if (node.Input.Count == 0 || node.Input[0].Length == 0)
        {
            return false;
        }

        long[] x = _shapes[node.Input[0]];
        long[]? y = null;
        switch (node.OpType)
        {
            case var op when Unary.Contains(op):
                y = x;
                if (op == "Cast" && _values.TryGetValue(node.Input[0], out var cast))
                {
                    _values[node.Output[0]] = cast;
                }

                break;
            case var op when Broadcasting.Contains(op):
                y = node.Input.Where(i => i.Length > 0).Select(i => _shapes[i]).Aggregate(ShapeMath.Broadcast);
                break;
            case "Conv" when x.Length == 4 && In(node, 1) is { Length: 4 } w:   // w (Cout, Cin/group, kh, kw)
                y = Window(node, x, w[2], w[3], w[0]);
                multiplyAdds = (double)y[1] * y[2] * y[3] * w[1] * w[2] * w[3];
                break;
            case "MaxPool" or "AveragePool" when x.Length == 4:
                var k = ShapeMath.Ints(node, "kernel_shape") ?? [1, 1];
                y = Window(node, x, k[0], k[1], x[1]);
                break;
            case "GlobalAveragePool" or "GlobalMaxPool" when x.Length >= 3:
                y = [x[0], x[1], .. Enumerable.Repeat(1L, x.Length - 2)];
                break;
            case "Flatten":
                int fAxis = ShapeMath.Axis(node, x.Length, 1);
                y = [ShapeMath.Product(x.Take(fAxis)), ShapeMath.Product(x.Skip(fAxis))];
                break;
            case "Gemm" when x.Length == 2 && In(node, 1) is { Length: 2 } gw:
                bool transA = ShapeMath.Int(node, "transA") == 1, transB = ShapeMath.Int(node, "transB") == 1;
                long m = transA ? x[1] : x[0], kIn = transA ? x[0] : x[1], n = transB ? gw[0] : gw[1];
                y = [m, n];
                multiplyAdds = (double)m * kIn * n;
                break;
            case "MatMul" when x.Length >= 2 && In(node, 1) is { Length: >= 2 } b && x[^1] == b[^2]:
                // (..., M, K) × (..., K, N): the leading dimensions broadcast, as numpy's matmul.
                long[] batch = ShapeMath.Broadcast(x[..^2], b[..^2]);
                y = [.. batch, x[^2], b[^1]];
                multiplyAdds = (double)ShapeMath.Product(batch) * x[^2] * x[^1] * b[^1];
                break;
            case "Transpose":
                var perm = ShapeMath.Ints(node, "perm") ?? Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i).ToArray();
                y = perm.Length == x.Length ? perm.Select(p => x[p]).ToArray() : null;
                break;
            case "Reshape" when _values.TryGetValue(node.Input.ElementAtOrDefault(1) ?? "", out var target):
                y = ShapeMath.Reshape(x, target, ShapeMath.Int(node, "allowzero") == 1);
                break;
            case "Expand" when _values.TryGetValue(node.Input.ElementAtOrDefault(1) ?? "", out var to):
                y = ShapeMath.Broadcast(x, to);
                break;
            case "Shape":
                y = [x.Length];
                _values[node.Output[0]] = x;
                break;
            case "Concat":
                y = ConcatOf(node);
                break;
            case "Gather":
                y = GatherOf(node, x);
                break;
            case "Unsqueeze" or "Squeeze":
                y = Squeezed(node, x);
                break;
            case "Slice":
                y = SliceOf(node, x);
                break;
            case "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceSum" or "ReduceL2":
                var axes = (ShapeMath.Ints(node, "axes") ?? (node.Input.Count > 1 ? _values.GetValueOrDefault(node.Input[1]) : null))?.Select(a => a < 0 ? a + x.Length : a).ToHashSet();
                bool keep = ShapeMath.Int(node, "keepdims") != 0;
                y = Enumerable.Range(0, x.Length).SelectMany(i => axes is null || axes.Contains(i) ? keep ? [1L] : Array.Empty<long>() : [x[i]]).ToArray();
                break;
        }

        if (y is null)
        {
            return false;
        }

        _shapes[node.Output[0]] = y;
        return true;
    }

    private bool Constant(NodeProto node)
    {
        var a = node.Attribute.FirstOrDefault();
        long[]? shape = a?.Name switch
        {
            "value" when a.T is { } t => t.Dims.ToArray(),
            "value_float" or "value_int" or "value_string" => [],
            "value_floats" => [a.Floats.Count],
            "value_ints" => [a.Ints.Count],
            _ => null,
        };
        if (shape is null)
        {
            return false;
        }

        _shapes[node.Output[0]] = shape;
        long[]? values = a!.Name switch
        {
            "value" => ShapeMath.IntValues(a.T),
            "value_int" => [a.I],
            "value_ints" => a.Ints.ToArray(),
            _ => null,
        };
        if (values is not null)
        {
            _values[node.Output[0]] = values;
        }

        return true;
    }

    private long[]? ConcatOf(NodeProto node)
    {
        var parts = node.Input.Where(i => i.Length > 0).Select(i => _shapes[i]).ToList();
        int axis = ShapeMath.Axis(node, parts[0].Length, 0);
        if (parts.Any(p => p.Length != parts[0].Length))
        {
            return null;
        }

        var y = (long[])parts[0].Clone();
        y[axis] = parts.Sum(p => p[axis]);
        if (node.Input.All(i => _values.ContainsKey(i)))
        {
            _values[node.Output[0]] = node.Input.SelectMany(i => _values[i]).ToArray();
        }

        return y;
    }

    private long[]? GatherOf(NodeProto node, long[] x)
    {
        if (node.Input.Count < 2 || x.Length == 0)
        {
            return null;
        }

        int axis = ShapeMath.Axis(node, x.Length, 0);
        long[] indices = _shapes[node.Input[1]];
        if (_values.TryGetValue(node.Input[0], out var data) && _values.TryGetValue(node.Input[1], out var at) && x.Length == 1)
        {
            _values[node.Output[0]] = at.Select(i => data[i < 0 ? i + data.Length : i]).ToArray();
        }

        return [.. x[..axis], .. indices, .. x[(axis + 1)..]];
    }

    private long[]? Squeezed(NodeProto node, long[] x)
    {
        var axes = ShapeMath.Ints(node, "axes") ?? (node.Input.Count > 1 ? _values.GetValueOrDefault(node.Input[1]) : null);
        if (_values.TryGetValue(node.Input[0], out var v))
        {
            _values[node.Output[0]] = v;
        }

        if (node.OpType == "Squeeze")
        {
            var drop = axes?.Select(a => a < 0 ? a + x.Length : a).ToHashSet();
            return x.Where((d, i) => drop is null ? d != 1 : !drop.Contains(i)).ToArray();
        }

        if (axes is null)
        {
            return null;
        }

        var y = x.ToList();
        int rank = x.Length + axes.Length;
        foreach (var a in axes.Select(a => (int)(a < 0 ? a + rank : a)).Order())
        {
            y.Insert(a, 1);
        }

        return y.ToArray();
    }

    private long[]? SliceOf(NodeProto node, long[] x)
    {
        long[]? Get(int i) => node.Input.Count > i && node.Input[i].Length > 0 ? _values.GetValueOrDefault(node.Input[i]) : null;
        long[]? starts = Get(1), ends = Get(2);
        if (starts is null || ends is null)
        {
            return null;
        }

        long[] axes = Get(3) ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        long[] steps = Get(4) ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        var y = (long[])x.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int a = (int)(axes[i] < 0 ? axes[i] + x.Length : axes[i]);
            long size = x[a];
            long Clamp(long v, long hi) => Math.Clamp(v < 0 ? v + size : v, 0, hi);
            long s = Clamp(starts[i], size), e = Clamp(ends[i], size);
            y[a] = steps[i] > 0 ? Math.Max(0, (e - s + steps[i] - 1) / steps[i]) : Math.Max(0, (s - e - steps[i] - 1) / -steps[i]);
        }

        return y;
    }

    private long[]? In(NodeProto node, int i) => node.Input.Count > i ? _shapes.GetValueOrDefault(node.Input[i]) : null;

    private static long[] Window(NodeProto node, long[] x, long kh, long kw, long channels)
    {
        var strides = ShapeMath.Ints(node, "strides") ?? [1, 1];
        var pads = ShapeMath.Ints(node, "pads") ?? [0, 0, 0, 0];
        var dil = ShapeMath.Ints(node, "dilations") ?? [1, 1];
        string autoPad = node.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        long Out(long size, long k, long s, long padSum, long d) => autoPad is "SAME_UPPER" or "SAME_LOWER"
            ? (size + s - 1) / s
            : (size + padSum - (d * (k - 1) + 1)) / s + 1;
        return [x[0], channels, Out(x[2], kh, strides[0], pads[0] + pads[2], dil[0]), Out(x[3], kw, strides[1], pads[1] + pads[3], dil[1])];
    }

}
