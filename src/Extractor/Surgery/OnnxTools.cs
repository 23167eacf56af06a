using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>Model-file operations behind <c>models cut</c> and <c>models info</c>.</summary>
internal static class OnnxTools
{
    /// <summary>Makes <paramref name="tensor"/> the output of the model in <paramref name="input"/>, writing <paramref name="output"/>.</summary>
    /// <param name="metadata">Keys to record in the cut model (its preprocessing, pooling), so extract needs no flags; null keeps the source's.</param>
    public static (int NodesKept, int NodesDropped) Cut(string input, string tensor, string output, PipelineMetadata? metadata = null)
    {
        var model = OnnxGraph.Load(input);
        var cut = GraphSurgery.Cut(model, tensor, input);
        GraphSurgery.MakeBatchDynamic(cut);
        (metadata ?? PipelineMetadata.Read(model, input) with { FeatureTensor = null }).WriteTo(cut);
        AtomicFile.Write(output, cut.ToByteArray());
        return (cut.Graph.Node.Count, model.Graph.Node.Count - cut.Graph.Node.Count);
    }

    /// <summary>Inputs, outputs, operator counts, parameters and GFLOPs of a model file.</summary>
    public static ModelInfo Describe(string file)
    {
        var model = OnnxGraph.Load(file);
        var g = model.Graph;
        static string Shape(ValueInfoProto v) => string.Join("x", v.Type?.TensorType?.Shape?.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)) ?? []);
        var input = OnnxGraph.RealInputs(g).First();
        long parameters = g.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        var dims = input.Type.TensorType.Shape.Dim.Select(d => d.DimValue > 0 ? d.DimValue : 224).ToArray();
        dims[0] = 1;
        return new ModelInfo
        {
            Inputs = OnnxGraph.RealInputs(g).Select(i => $"{i.Name} {Shape(i)}").ToList(),
            Outputs = g.Output.Select(o => $"{o.Name} {Shape(o)}").ToList(),
            Operators = g.Node.GroupBy(n => n.OpType).OrderByDescending(x => x.Count()).Select(x => $"{x.Key} {x.Count()}").ToList(),
            Parameters = parameters,
            Gflops = dims.Length == 4 && dims[1] == 3 ? OnnxFlops.Gflops(model, input.Name, dims) : double.NaN,
            Synthetic = OnnxGraph.IsSynthetic(model),
            CutPoints = WithShapes(model, input.Name, dims, CutPoints.Find(model)),
        };
    }

    /// <summary>Each cut point's note, led by its shape for one image where the graph runs.</summary>
    private static List<CutPoint> WithShapes(ModelProto model, string input, long[] dims, IReadOnlyList<CutPoint> points)
    {
        var shapes = Shapes(model, input, dims, points.Select(c => c.Tensor).Distinct().ToArray());
        return points.Select(c => shapes.TryGetValue(c.Tensor, out var shape) ? c with { Note = $"{shape}; {c.Note}" } : c).ToList();
    }

    /// <summary>The shape of each of <paramref name="tensors"/> for one image (ONNX Runtime runs the graph once on zeros); empty when it cannot run.</summary>
    private static Dictionary<string, string> Shapes(ModelProto model, string input, long[] dims, string[] tensors)
    {
        var shapes = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var options = CpuSessionOptions.Create(0);
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(GraphSurgery.WithFloatOutputs(model, tensors).ToByteArray(), options);
            using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(new float[dims.Aggregate(1L, (a, b) => a * b)], dims);
            using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
            using var outputs = session.Run(run, [input], [value], tensors);
            for (int i = 0; i < tensors.Length; i++)
            {
                shapes[tensors[i]] = string.Join("x", outputs[i].GetTensorTypeAndShape().Shape.Skip(1));
            }
        }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or InvalidOperationException)
        {
            // Shapes are a help for people; a graph that cannot run on zeros is still described.
        }

        return shapes;
    }
}
