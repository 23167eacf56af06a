using System.Text.Json;

namespace Pipeline.Extractor.Backbones;

/// <summary>One operator type's share of an ONNX Runtime profile: where inference time goes.</summary>
/// <param name="Op">The operator as ONNX Runtime ran it (QLinearConv, Conv, MaxPool, …).</param>
/// <param name="Milliseconds">Its kernels' total time.</param>
/// <param name="Share">Its share of all kernels' time.</param>
/// <param name="Calls">Kernel calls.</param>
internal sealed record OperatorTime(string Op, double Milliseconds, double Share, int Calls);

/// <summary>Reads the JSON profile ONNX Runtime writes (<c>SessionOptions.EnableProfiling</c>): kernel time per operator type.</summary>
internal static class OperatorProfile
{
    public static IReadOnlyList<OperatorTime> Summarize(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        var totals = new Dictionary<string, (double Us, int Calls)>(StringComparer.Ordinal);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (e.TryGetProperty("cat", out var cat) && cat.GetString() == "Node"
                && e.TryGetProperty("name", out var name) && name.GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)
                && e.TryGetProperty("args", out var args) && args.TryGetProperty("op_name", out var op) && e.TryGetProperty("dur", out var dur))
            {
                var (us, calls) = totals.GetValueOrDefault(op.GetString()!);
                totals[op.GetString()!] = (us + dur.GetDouble(), calls + 1);
            }
        }

        double all = Math.Max(1, totals.Values.Sum(t => t.Us));
        return totals.OrderByDescending(t => t.Value.Us).Select(t => new OperatorTime(t.Key, t.Value.Us / 1000, t.Value.Us / all, t.Value.Calls)).ToList();
    }
}
