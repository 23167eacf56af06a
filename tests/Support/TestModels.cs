using Google.Protobuf;
using Onnx;

namespace Pipeline.Tests.Support;

/// <summary>
/// Tiny ONNX backbones the tests build as exporters write them (opset 17, IR 8, the model's preprocessing in its
/// <c>pipeline.*</c> metadata), each a 3×3 Conv on an 8×8 image unless a test rewires it, and the external-data layout
/// of <c>onnx.save_model(..., save_as_external_data=True, all_tensors_to_one_file=True)</c>.
/// </summary>
internal static class TestModels
{
    public const int Size = 8;
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    /// <summary>input <c>image</c> (N, 3, 8, 8) float32, [0, 1] pixels → Conv 3×3, 4 filters, weights <paramref name="scale"/> × U(0, 1) → <c>map</c> (N, 4, 6, 6).</summary>
    public static ModelProto ConvMap(float scale = 0.1f, int seed = 1)
    {
        var model = New();
        var g = model.Graph;
        g.Input.Add(OnnxBuilder.Value("image", Float, ["N", 3, Size, Size]));
        g.Initializer.Add(OnnxBuilder.FloatTensor("conv_w", Weights(4 * 3 * 3 * 3, scale, seed), [4, 3, 3, 3]));
        OnnxBuilder.Node(g.Node, "Conv", ["image", "conv_w"], "map", ("kernel_shape", new long[] { 3, 3 }));
        g.Output.Add(OnnxBuilder.Value("map", Float, ["N", 4, Size - 2, Size - 2]));
        return model;
    }

    /// <summary>An empty opset-17 model whose metadata says its pixels are [0, 1] (pipeline.preprocess=unit).</summary>
    public static ModelProto New()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "pipeline-tests", Graph = new GraphProto { Name = "test" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        OnnxBuilder.Meta(model, PipelineMetadata.PreprocessKey, "unit");
        return model;
    }

    public static float[] Weights(int count, float scale, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() * scale).ToArray();
    }

    public static TensorProto Int64Tensor(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return t;
    }

    public static string Save(ModelProto model, string path)
    {
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>
    /// Saves as onnx does with <c>save_as_external_data=True</c>: every initializer's bytes go to <paramref name="location"/>
    /// (relative to the model's folder, 4096-aligned offsets), the tensor keeps location, offset and length.
    /// </summary>
    public static string SaveWithExternalData(ModelProto model, string path, string location = "model.onnx.data")
    {
        var copy = model.Clone();
        string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, location);
        using (var data = File.Create(dataPath))
        {
            foreach (var t in copy.Graph.Initializer.Where(t => t.RawData.Length > 0))
            {
                long offset = (data.Length + 4095) / 4096 * 4096;
                data.SetLength(offset);
                data.Seek(offset, SeekOrigin.Begin);
                data.Write(t.RawData.Span);
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.DataLocation = TensorProto.Types.DataLocation.External;
                t.RawData = ByteString.Empty;
            }
        }

        return Save(copy, path);
    }
}
