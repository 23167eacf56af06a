using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>ONNX protobuf messages (OnnxSharp's compiled onnx.proto): parse and load a model file, its real inputs, tensor names, weights read and dropped.</summary>
internal static class OnnxGraph
{
    /// <summary>Metadata key that marks a model with random weights (<c>models synth</c>).</summary>
    public const string SyntheticKey = "synthetic";
    public const string BatchDim = "N";

    public static ModelProto Parse(byte[] bytes, string file) => Checked(() => ModelProto.Parser.ParseFrom(bytes), file);

    /// <summary>
    /// Parses <paramref name="file"/> as it streams in, adding its bytes to <paramref name="hash"/> when given: no array
    /// of the whole file is made (the parsed message is the one copy of the weights in managed memory).
    /// </summary>
    public static ModelProto Parse(string file, IncrementalHash? hash = null)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (hash is null)
        {
            return Checked(() => ModelProto.Parser.ParseFrom(stream), file);
        }

        using var hashing = new HashingStream(stream, hash);
        var model = Checked(() => ModelProto.Parser.ParseFrom(hashing), file);
        hashing.Drain();
        return model;
    }

    private static ModelProto Checked(Func<ModelProto> parse, string file)
    {
        try
        {
            var model = parse();
            if (model.Graph is null || model.Graph.Node.Count == 0)
            {
                Throw.BadModel(file, "holds no graph");
            }

            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            Throw.BadModel(file, $"is not an ONNX model ({e.Message})", null, e);
            return null;
        }
    }

    public static bool IsSynthetic(ModelProto model) =>
        model.MetadataProps.Any(p => p.Key == SyntheticKey && p.Value == "true");

    /// <summary>Graph inputs that are real inputs (not initializers listed as inputs, as old exporters do).</summary>
    public static IEnumerable<ValueInfoProto> RealInputs(GraphProto graph)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return graph.Input.Where(i => !initializers.Contains(i.Name));
    }

    /// <summary>All tensor names produced in the graph (node outputs and graph inputs).</summary>
    public static IEnumerable<string> TensorNames(GraphProto graph) =>
        RealInputs(graph).Select(i => i.Name).Concat(graph.Node.SelectMany(n => n.Output)).Where(n => n.Length > 0);

    /// <summary>
    /// Opens and parses a model file: the one way a model file is read for its graph (a missing or damaged file names itself).
    /// Weights kept in external data are read from beside the file into the model, so what is written or run from it is whole.
    /// </summary>
    public static ModelProto Load(string file)
    {
        if (!File.Exists(file))
        {
            Throw.BadModel(file, "no such file");
        }

        var model = Parse(file);
        ExternalData.Inline(model, file);
        return model;
    }

    /// <summary>
    /// Empties the values of every initializer of 64 KB or more (weights), keeping names, types and dims: for a message
    /// whose weights ONNX Runtime already has. Small ones stay, since shape inference reads Reshape's shape tensors.
    /// </summary>
    public static void DropWeights(ModelProto model)
    {
        const int Large = 64 * 1024;
        foreach (var t in model.Graph.Initializer)
        {
            if (t.RawData.Length >= Large)
            {
                t.RawData = ByteString.Empty;
            }

            if (t.FloatData.Count * sizeof(float) >= Large)
            {
                t.FloatData.Clear();
            }
        }
    }

    /// <summary>Reads a float initializer (e.g. the ResNet18 package's MeanImage) as a flat array.</summary>
    public static float[] ReadInitializer(string file, string name)
    {
        var model = Load(file);
        var tensor = model.Graph.Initializer.FirstOrDefault(t => t.Name == name);
        if (tensor is null)
        {
            Throw.BadModel(file, $"has no initializer '{name}'", "reinstall the model package");
        }

        return ToFloats(tensor);
    }

    public static float[] ToFloats(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"initializer '{tensor.Name}' is not float32");
        }

        if (tensor.FloatData.Count > 0)
        {
            return tensor.FloatData.ToArray();
        }

        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
    }
}
