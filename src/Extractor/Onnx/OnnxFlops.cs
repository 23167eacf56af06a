using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// FLOPs of one image through a CNN graph (2 × multiply-adds of Conv, Gemm and MatMul), from a
/// small shape propagation over the usual CNN operators. NaN when the graph uses an operator it
/// does not know: a FLOP figure is only ever printed when it is right.
/// </summary>
internal static class OnnxFlops
{
    public static double Gflops(ModelProto model, string input, long[] inputShape)
    {
        var graph = model.Graph;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [input] = inputShape };
        foreach (var init in graph.Initializer)
        {
            shapes[init.Name] = init.Dims.ToArray();
        }

        double flops = 0;
        foreach (var node in graph.Node)
        {
            if (!node.Input.Where(i => i.Length > 0).All(shapes.ContainsKey))
            {
                return double.NaN;
            }

            long[] x = shapes[node.Input[0]];
            long[]? y;
            switch (node.OpType)
            {
                case "Conv":
                {
                    long[] w = shapes[node.Input[1]];   // (Cout, Cin/group, kh, kw)
                    y = Window(node, x, w[2], w[3], w[0]);
                    flops += 2.0 * y[1] * y[2] * y[3] * w[1] * w[2] * w[3];
                    break;
                }

                case "MaxPool" or "AveragePool":
                {
                    var k = Ints(node, "kernel_shape");
                    y = Window(node, x, k[0], k[1], x[1]);
                    break;
                }

                case "GlobalAveragePool" or "GlobalMaxPool":
                    y = [x[0], x[1], 1, 1];
                    break;
                case "Relu" or "Softmax" or "BatchNormalization" or "Add" or "Dropout" or "Identity" or "Sigmoid" or "Clip" or "LeakyRelu" or "Sub" or "Mul" or "Div":
                    y = x;
                    break;
                case "Flatten":
                    y = [x[0], x.Skip(1).Aggregate(1L, (a, b) => a * b)];
                    break;
                case "Gemm" or "MatMul":
                {
                    long[] w = shapes[node.Input[1]];
                    bool transB = node.Attribute.Any(a => a.Name == "transB" && a.I == 1);
                    long outDim = transB ? w[0] : w[1], inDim = transB ? w[1] : w[0];
                    y = [x[0], outDim];
                    flops += 2.0 * inDim * outDim;
                    break;
                }

                default:
                    return double.NaN;
            }

            shapes[node.Output[0]] = y;
        }

        return flops / 1e9;
    }

    private static long[] Window(NodeProto node, long[] x, long kh, long kw, long channels)
    {
        var strides = Ints(node, "strides", 1);
        var pads = Ints(node, "pads", 0, 4);
        var dil = Ints(node, "dilations", 1);
        string autoPad = node.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        long Out(long size, long k, long s, long padSum, long d) => autoPad is "SAME_UPPER" or "SAME_LOWER"
            ? (size + s - 1) / s
            : (size + padSum - (d * (k - 1) + 1)) / s + 1;
        return [x[0], channels, Out(x[2], kh, strides[0], pads[0] + pads[2], dil[0]), Out(x[3], kw, strides[1], pads[1] + pads[3], dil[1])];
    }

    private static long[] Ints(NodeProto node, string name, long fill = 0, int count = 2)
    {
        var a = node.Attribute.FirstOrDefault(a => a.Name == name);
        return a is null ? Enumerable.Repeat(fill, count).ToArray() : a.Ints.ToArray();
    }
}
