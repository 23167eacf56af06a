using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>Which convolutions and matrix products stay float, and what ONNX Runtime makes of the quantized graph.</summary>
internal static partial class Int8Quantizer
{
    /// <summary>
    /// Loads the quantized graph as extraction will (all optimizations) and reads the graph ONNX Runtime made of it:
    /// how many Conv/Gemm/MatMul run as integer kernels, and which still run in float.
    /// </summary>
    private static (int Integer, List<string> FloatWeighted, List<string> FloatOps) IntegerKernels(byte[] quantized, string file)
    {
        string optimized = Path.Combine(Path.GetTempPath(), $"pipeline-int8-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            using (Session(quantized, 1, optimized))
            {
            }

            var g = OnnxGraph.Load(optimized).Graph;
            int integer = g.Node.Count(n => n.OpType is "QLinearConv" or "QGemm" or "QLinearMatMul" or "MatMulInteger" or "ConvInteger" or "DynamicQuantizeMatMul" or "MatMulIntegerToFloat");
            var floating = g.Node.Where(n => n.OpType is "Conv" or "FusedConv" or "Gemm" or "MatMul" or "FusedGemm" or "FusedMatMul").Select(n => $"{n.OpType} {n.Name}").ToList();
            var floatOps = g.Node.Select(n => n.OpType)
                .Where(op => !op.StartsWith("QLinear", StringComparison.Ordinal) && op is not ("QGemm" or "QuantizeLinear" or "DequantizeLinear" or "NhwcMaxPool" or "Transpose" or "ReorderInput" or "ReorderOutput"
                    or "Conv" or "FusedConv" or "Gemm" or "MatMul" or "FusedGemm" or "FusedMatMul"))
                .Distinct().ToList();
            return (integer, floating, floatOps);
        }
        catch (OnnxRuntimeException e)
        {
            Throw.BadModel(file, $"its quantized graph does not load in ONNX Runtime ({e.Message.Split('\n')[0]})", "report it with the model; quantize with --weight-bits 8 or keep fp32");
            return default;
        }
        finally
        {
            File.Delete(optimized);
        }
    }

    /// <summary>
    /// Leaves in float, one at a time, the convolution or matrix product whose quantization costs the features most,
    /// while the median cosine to fp32 on the held-out images is under <see cref="TargetCosine"/> and a node helps by
    /// at least <see cref="MinGain"/> (at most <see cref="MaxFloatNodes"/> nodes). Each round tries every candidate:
    /// only a model that needs it pays for the search. Returns the model and the nodes kept float.
    /// </summary>
    private static Trial KeepSensitiveNodesFloat(ModelProto folded, Int8Graph.Plan plan,
        IReadOnlyDictionary<string, (float Min, float Max)> ranges, int bits, Int8FidelityProbe fidelity, string file, Action<string>? info)
    {
        var chosen = Quantized(folded, plan, ranges, bits, fidelity, []);
        while (fidelity.Images > 0 && Median(chosen.Cosines) < TargetCosine && chosen.KeptFloat.Count < MaxFloatNodes)
        {
            Trial? best = null;
            foreach (var candidate in Int8Graph.WeightedNodes(folded).Except(chosen.KeptFloat))
            {
                var keep = chosen.KeptFloat.Append(candidate).ToList();
                var trial = Int8Graph.MakePlan(folded, file, keep.ToHashSet(StringComparer.Ordinal));
                if (trial.Calibrated.All(ranges.ContainsKey)
                    && Quantized(folded, trial, ranges, bits, fidelity, keep) is var t && (best is null || Median(t.Cosines) > Median(best.Cosines)))
                {
                    best = t;
                }
            }

            if (best is null || Median(best.Cosines) - Median(chosen.Cosines) < MinGain)
            {
                break;
            }

            info?.Invoke($"quantize: '{best.KeptFloat[^1]}' stays float: median cosine to fp32 {Median(chosen.Cosines):F4} -> {Median(best.Cosines):F4}");
            chosen = best;
        }

        return chosen;
    }

    /// <summary>The QDQ model of a plan, with its per-image cosines to fp32 (none without held-out images).</summary>
    private static Trial Quantized(ModelProto folded, Int8Graph.Plan plan, IReadOnlyDictionary<string, (float Min, float Max)> ranges, int bits, Int8FidelityProbe fidelity, List<string> keptFloat)
    {
        var model = Int8Graph.Quantize(folded, plan, ranges, bits);
        return new Trial(model, keptFloat, plan, fidelity.Cosines(model.ToByteArray()));
    }

    /// <summary>A quantized model, the nodes it keeps in float, its plan and its cosines to fp32 on the held-out images.</summary>
    private sealed record Trial(ModelProto Model, List<string> KeptFloat, Int8Graph.Plan Plan, List<double> Cosines);

    private static double Median(List<double> values) =>
        values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);
}
