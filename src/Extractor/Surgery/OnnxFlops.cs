using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>
/// FLOPs of one image through a graph: 2 × the multiply-adds of Conv, Gemm and MatMul (element-wise ops, norms and
/// softmax are a few percent and not counted), from <see cref="ShapePropagation"/> over the CNN and transformer
/// operators (patch Conv, Reshape/Transpose to tokens, attention MatMuls, LayerNormalization, Erf-based Gelu, Constant
/// nodes). NaN when the graph uses an operator it does not know, or a shape it cannot follow: a FLOP figure is only
/// ever printed when it is right, and a model is never refused for it.
/// </summary>
internal static class OnnxFlops
{
    public static double Gflops(ModelProto model, string input, long[] inputShape)
    {
        var shapes = new ShapePropagation(model.Graph, input, inputShape);
        double multiplyAdds = 0;
        foreach (var node in model.Graph.Node)
        {
            try
            {
                if (!shapes.Step(node, out double m))
                {
                    return double.NaN;
                }

                multiplyAdds += m;
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or OverflowException or DivideByZeroException)
            {
                // A malformed attribute (a perm or axis out of range): no figure, and never a failed load.
                return double.NaN;
            }
        }

        return 2 * multiplyAdds / 1e9;
    }
}
