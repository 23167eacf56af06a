using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>The arithmetic of <see cref="ShapePropagation"/>: broadcasting, Reshape's 0 and -1, attributes, small integer tensors.</summary>
internal static class ShapeMath
{
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const int Int32 = (int)TensorProto.Types.DataType.Int32;

    public static long[]? Reshape(long[] x, long[] target, bool allowZero)
    {
        var y = target.Select((d, i) => d == 0 && !allowZero && i < x.Length ? x[i] : d).ToArray();
        int infer = Array.IndexOf(y, -1L);
        if (infer >= 0)
        {
            long known = Product(y.Where((_, i) => i != infer));
            y[infer] = known > 0 ? Product(x) / known : 0;
        }

        return Product(y) == Product(x) ? y : null;
    }

    /// <summary>Numpy broadcasting of two shapes; a pair of unequal dimensions neither of which is 1 stays the larger (the runtime would refuse it).</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var y = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)], db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            y[i] = da == 1 ? db : db == 1 ? da : Math.Max(da, db);
        }

        return y;
    }

    public static long[]? Ints(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();

    public static long? Int(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I;

    public static int Axis(NodeProto node, int rank, long fallback)
    {
        long axis = Int(node, "axis") ?? fallback;
        return (int)(axis < 0 ? axis + rank : axis);
    }

    public static long Product(IEnumerable<long> dims) => dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>The values of a small int64 or int32 tensor (at most 64 of them: shapes, axes, indices), or null.</summary>
    public static long[]? IntValues(TensorProto t)
    {
        if (t.DataType is not (Int64 or Int32) || t.Dims.Aggregate(1L, (a, b) => a * b) > 64)
        {
            return null;
        }

        if (t.DataType == Int64)
        {
            return t.Int64Data.Count > 0 ? t.Int64Data.ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();
        }

        return t.Int32Data.Count > 0 ? t.Int32Data.Select(v => (long)v).ToArray() : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray();
    }
}
