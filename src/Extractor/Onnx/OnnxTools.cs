using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>Model-file operations behind <c>models cut</c> and <c>models info</c>.</summary>
internal static class OnnxTools
{
    /// <summary>Makes <paramref name="tensor"/> the output of the model in <paramref name="input"/>, writing <paramref name="output"/>.</summary>
    /// <param name="metadata">Keys to record in the cut model (its preprocessing, pooling), so extract needs no flags; null keeps the source's.</param>
    public static (int NodesKept, int NodesDropped) Cut(string input, string tensor, string output, PipelineMetadata? metadata = null)
    {
        var model = OnnxGraph.Load(input);
        var cut = OnnxGraph.Cut(model, tensor, input);
        OnnxGraph.MakeBatchDynamic(cut);
        (metadata ?? PipelineMetadata.Read(model, input) with { FeatureTensor = null }).WriteTo(cut);
        AtomicFile.Write(output, cut.ToByteArray());
        return (cut.Graph.Node.Count, model.Graph.Node.Count - cut.Graph.Node.Count);
    }

    /// <summary>Inputs, outputs, operator counts, parameters and GFLOPs of a model file.</summary>
    public static ModelSummary Describe(string file)
    {
        var model = OnnxGraph.Load(file);
        var g = model.Graph;
        static string Shape(ValueInfoProto v) => string.Join("x", v.Type?.TensorType?.Shape?.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)) ?? []);
        var input = OnnxGraph.RealInputs(g).First();
        long parameters = g.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        var dims = input.Type.TensorType.Shape.Dim.Select(d => d.DimValue > 0 ? d.DimValue : 1).ToArray();
        dims[0] = 1;
        return new ModelSummary(
            OnnxGraph.RealInputs(g).Select(i => $"{i.Name} {Shape(i)}").ToList(),
            g.Output.Select(o => $"{o.Name} {Shape(o)}").ToList(),
            g.Node.GroupBy(n => n.OpType).OrderByDescending(x => x.Count()).Select(x => $"{x.Key} {x.Count()}").ToList(),
            parameters,
            dims.Length == 4 && dims[1] == 3 ? OnnxFlops.Gflops(model, input.Name, dims) : double.NaN,
            OnnxGraph.IsSynthetic(model),
            g.Node.Where(n => n.OpType is "MaxPool" or "AveragePool" or "GlobalAveragePool").Select(n => n.Output[0]).ToList());
    }
}

internal sealed record ModelSummary(
    IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<string> Operators, long Parameters, double Gflops, bool Synthetic,
    IReadOnlyList<string> PoolTensors);
