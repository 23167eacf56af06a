using System.Numerics.Tensors;
using System.Text;

namespace Pipeline.Head;

/// <summary>
/// A trained head's weights as plain arrays, and its inference: standardise, then [Linear → ReLU] per hidden width,
/// then Linear → logits. The one reader and writer of <c>weights.bin</c> and the one place a trained head runs
/// (predict, evaluate, export, a classifier in memory), all without libtorch: a predict or an evaluate never loads
/// TorchSharp's 146 MB of native code. Training keeps its TorchSharp module (<see cref="DenseHead"/>) and hands its
/// weights over here.
/// </summary>
/// <remarks>
/// <c>weights.bin</c> is TorchSharp's <c>Module.save</c> format, which older heads were written in and which
/// <c>DenseHead.load</c> reads: an unsigned LEB128 count of tensors, then per tensor its name (a .NET
/// <see cref="BinaryWriter"/> string), its dtype (LEB128; 6 = float32), rank and dims (LEB128 each), and its
/// little-endian bytes. The order is TorchSharp's: each layer's weight (out, in) and bias (out), then the buffers
/// <c>mean</c> and <c>inv_std</c> (F).
/// </remarks>
internal sealed class HeadWeights
{
    private const int Float32 = 6;   // TorchSharp's ScalarType.Float32

    // Rows × columns × outputs above which a layer's product is split across cores.
    private const long ParallelWork = 1L << 22;

    // Features per block of the product: a block of 32 rows (256 KB) stays in L2 while every output's weights stream past.
    private const int Block = 2048;

    private HeadWeights(float[] mean, float[] invStd, IReadOnlyList<Layer> layers)
    {
        Mean = mean;
        InvStd = invStd;
        Layers = layers;
    }

    /// <summary>Per-feature mean of the training set (F).</summary>
    public float[] Mean { get; }

    /// <summary>1 / per-feature standard deviation of the training set (F).</summary>
    public float[] InvStd { get; }

    /// <summary>The Linear layers in order, the last one giving the logits.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    public int Features => Mean.Length;

    public int Outputs => Layers[^1].Out;

    /// <summary>One Linear layer: weight (out, in), row-major, and bias (out).</summary>
    internal sealed record Layer(float[] Weight, int Out, int In, float[] Bias)
    {
        public long[] WeightShape => [Out, In];
    }

    /// <summary>The weights of a TorchSharp head, copied out once.</summary>
    public static HeadWeights From(DenseHead model)
    {
        var (mean, invStd) = model.Standardization();
        var layers = model.LinearLayers().Select(l => new Layer(l.Weight, (int)l.WeightShape[0], (int)l.WeightShape[1], l.Bias)).ToList();
        return new HeadWeights(mean, invStd, layers);
    }

    /// <summary>
    /// Reads <paramref name="path"/>, which must hold exactly the tensors of a head with these sizes (names, dtypes and
    /// shapes), all finite; anything else is an <see cref="InvalidDataException"/> naming the first difference.
    /// </summary>
    public static HeadWeights Read(string path, int features, IReadOnlyList<int> hidden, int classes)
    {
        var expected = new List<(string Name, int[] Shape)>();
        int width = features;
        for (int i = 0; i <= hidden.Count; i++)
        {
            int o = i < hidden.Count ? hidden[i] : classes;
            string layer = i < hidden.Count ? $"_layers.fc{i}" : "_layers.out";
            expected.Add(($"{layer}.weight", [o, width]));
            expected.Add(($"{layer}.bias", [o]));
            width = o;
        }

        expected.Add(("mean", [features]));
        expected.Add(("inv_std", [features]));

        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        using (var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16), Encoding.UTF8))
        {
            long count = ReadLeb(reader);
            if (count != expected.Count)
            {
                throw new InvalidDataException($"it holds {count} tensors, the head {expected.Count}");
            }

            for (long t = 0; t < count; t++)
            {
                string name = reader.ReadString();
                var match = expected.FindIndex(e => e.Name == name);
                if (match < 0 || tensors.ContainsKey(name))
                {
                    throw new InvalidDataException($"tensor '{name}' is not one of the head's, or is there twice");
                }

                long dtype = ReadLeb(reader), rank = ReadLeb(reader);
                var shape = expected[match].Shape;
                if (dtype != Float32 || rank != shape.Length)
                {
                    throw new InvalidDataException($"tensor '{name}' is dtype {dtype} of rank {rank}, not float32 of rank {shape.Length}");
                }

                for (int d = 0; d < rank; d++)
                {
                    long dim = ReadLeb(reader);
                    if (dim != shape[d])
                    {
                        throw new InvalidDataException($"tensor '{name}' has dimension {d} of {dim}, not {shape[d]}");
                    }
                }

                long n = shape.Aggregate(1L, (a, b) => a * b);
                var values = new float[n];
                reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    throw new PlatformNotSupportedException("weights.bin is little-endian");
                }

                // A finite sum means every value is finite (a NaN or an infinity would carry into it); only an overflowing sum needs the scan.
                if (!float.IsFinite(TensorPrimitives.Sum(values)) && values.Any(v => !float.IsFinite(v)))
                {
                    throw new NonFiniteWeightsException(name);
                }

                tensors[name] = values;
            }

            if (reader.BaseStream.Position != reader.BaseStream.Length)
            {
                throw new InvalidDataException($"{reader.BaseStream.Length - reader.BaseStream.Position:N0} bytes follow the last tensor");
            }
        }

        var layers = new List<Layer>();
        width = features;
        for (int i = 0; i <= hidden.Count; i++)
        {
            int o = i < hidden.Count ? hidden[i] : classes;
            string layer = i < hidden.Count ? $"_layers.fc{i}" : "_layers.out";
            layers.Add(new Layer(tensors[$"{layer}.weight"], o, width, tensors[$"{layer}.bias"]));
            width = o;
        }

        return new HeadWeights(tensors["mean"], tensors["inv_std"], layers);
    }

    /// <summary>Writes the weights in <c>weights.bin</c>'s format (TorchSharp's, readable by <c>DenseHead.load</c>).</summary>
    public void Write(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        var tensors = new List<(string Name, float[] Values, long[] Shape)>();
        for (int i = 0; i < Layers.Count; i++)
        {
            string layer = i < Layers.Count - 1 ? $"_layers.fc{i}" : "_layers.out";
            tensors.Add(($"{layer}.weight", Layers[i].Weight, Layers[i].WeightShape));
            tensors.Add(($"{layer}.bias", Layers[i].Bias, [Layers[i].Out]));
        }

        tensors.Add(("mean", Mean, [Features]));
        tensors.Add(("inv_std", InvStd, [Features]));
        WriteLeb(writer, tensors.Count);
        foreach (var (name, values, shape) in tensors)
        {
            writer.Write(name);
            WriteLeb(writer, Float32);
            WriteLeb(writer, shape.Length);
            foreach (long d in shape)
            {
                WriteLeb(writer, d);
            }

            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    /// <summary>
    /// Logits (n, outputs) for the first n feature rows (n, F) of <paramref name="features"/>. Memory: two
    /// activations of n rows, whatever the number of images.
    /// </summary>
    public float[] Logits(ReadOnlySpan<float> features, int n)
    {
        int f = Features;
        var x = new float[(long)n * f];
        for (int i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * f, f);
            TensorPrimitives.Subtract(features.Slice(i * f, f), Mean, row);
            TensorPrimitives.Multiply(row, InvStd, row);
        }

        for (int l = 0; l < Layers.Count; l++)
        {
            x = Linear(Layers[l], x, n);
            if (l < Layers.Count - 1)
            {
                TensorPrimitives.Max(x, 0f, x);   // ReLU
            }
        }

        return x;
    }

    // y (n, out) = x (n, in) · Wᵀ + b, blocked along the inputs so each block of rows is read from cache for every output.
    private static float[] Linear(Layer layer, float[] x, int n)
    {
        int inputs = layer.In, outputs = layer.Out;
        var y = new float[(long)n * outputs];
        for (int i = 0; i < n; i++)
        {
            layer.Bias.CopyTo(y.AsSpan(i * outputs, outputs));
        }

        void Outputs(int from, int to)
        {
            for (int k = 0; k < inputs; k += Block)
            {
                int len = Math.Min(Block, inputs - k);
                for (int o = from; o < to; o++)
                {
                    var w = layer.Weight.AsSpan((o * inputs) + k, len);
                    for (int i = 0; i < n; i++)
                    {
                        y[(i * outputs) + o] += TensorPrimitives.Dot(x.AsSpan((i * inputs) + k, len), w);
                    }
                }
            }
        }

        long work = (long)n * inputs * outputs;
        int parts = work < ParallelWork ? 1 : Math.Min(CpuBudget.Cores, outputs);
        if (parts == 1)
        {
            Outputs(0, outputs);
        }
        else
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => Outputs(p * outputs / parts, (p + 1) * outputs / parts));
        }

        return y;
    }

    private static long ReadLeb(BinaryReader reader)
    {
        long result = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("a size field runs past 63 bits");
    }

    private static void WriteLeb(BinaryWriter writer, long value)
    {
        ulong v = (ulong)value;
        while (v >= 0x80)
        {
            writer.Write((byte)(v | 0x80));
            v >>= 7;
        }

        writer.Write((byte)v);
    }
}

/// <summary>A weights.bin tensor holding a NaN or an infinity.</summary>
internal sealed class NonFiniteWeightsException(string tensor) : IOException($"tensor '{tensor}' holds a NaN or infinity")
{
    public string Tensor { get; } = tensor;
}
