using System.Globalization;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using Pipeline.Head;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Training (or a sweep) from the command line, shared by train and run.</summary>
internal static class HeadTraining
{
    public sealed record Result(string Head, int BestEpoch, double? ValAccuracy, double ValLoss, double Seconds, IReadOnlyList<SweepRow>? Sweep);

    public sealed record SweepRow(string Params, double? ValAccuracy, double ValLoss, int BestEpoch, double Seconds);

    public static Result Run(string cachePath, string? valPath, string outDir, System.CommandLine.ParseResult parsed, bool quiet)
    {
        using var train = FeatureCache.Open(cachePath, null, "train");
        using var val = OpenValidation(cachePath, valPath);
        if (train.Manifest.Backbone.Synthetic)
        {
            Console.Error.WriteLine("warning: these features come from a synthetic backbone with random weights: accuracy means nothing");
        }

        var baseline = Options.HeadTrainingOptions.Bind(parsed);
        var grid = parsed.GetValue(Options.HeadTrainingOptions.Sweep) is { } sweep ? SweepGrid.Expand(sweep, baseline) : [baseline];
        var rows = new List<SweepRow>();
        TrainedHead? best = null;
        foreach (var options in grid)
        {
            if (!quiet && grid.Count > 1)
            {
                Console.Out.WriteLine($"-- {options.Describe()}");
            }

            var head = HeadTrainer.Train(train, val, options, quiet ? null : PrintEpoch(options.Epochs));
            var bestRecord = head.Manifest.History[head.Manifest.BestEpoch - 1];
            rows.Add(new SweepRow(options.Describe(), bestRecord.ValAccuracy, bestRecord.ValLoss ?? bestRecord.TrainLoss, head.Manifest.BestEpoch, head.Manifest.TrainSeconds));
            if (best is null || Better(head, best))
            {
                best?.Dispose();
                best = head;
            }
            else
            {
                head.Dispose();
            }
        }

        best!.Save(outDir);
        var b = best.Manifest.History[best.Manifest.BestEpoch - 1];
        var result = new Result(outDir, best.Manifest.BestEpoch, b.ValAccuracy, b.ValLoss ?? b.TrainLoss, best.Manifest.TrainSeconds, grid.Count > 1 ? rows : null);
        if (!quiet)
        {
            if (grid.Count > 1)
            {
                var table = Output.Table("params", "val acc", "val loss", "best epoch", "seconds");
                foreach (var r in rows.OrderByDescending(r => r.ValAccuracy ?? 0).ThenBy(r => r.ValLoss))
                {
                    table.AddRow(r.Params, r.ValAccuracy is { } a ? $"{a:P2}" : "-", $"{r.ValLoss:F4}", $"{r.BestEpoch}", $"{r.Seconds:F2}");
                }

                Output.Write(table);
            }

            if (best.Manifest.ViewsCached > 1)
            {
                Console.Out.WriteLine($"views: {best.Manifest.ViewsCached} cached per image, {best.Manifest.ViewsPerEpoch} used per image per epoch");
            }

            Console.Out.WriteLine($"best epoch {best.Manifest.BestEpoch}: val acc {(b.ValAccuracy is { } va ? va.ToString("P2", CultureInfo.InvariantCulture) : "n/a")}, trained in {best.Manifest.TrainSeconds:F2} s; head saved to {outDir}");
        }

        best.Dispose();
        return result;
    }

    private static bool Better(TrainedHead a, TrainedHead b)
    {
        var ra = a.Manifest.History[a.Manifest.BestEpoch - 1];
        var rb = b.Manifest.History[b.Manifest.BestEpoch - 1];
        double accA = ra.ValAccuracy ?? ra.TrainAccuracy, accB = rb.ValAccuracy ?? rb.TrainAccuracy;
        return accA > accB || (accA == accB && (ra.ValLoss ?? ra.TrainLoss) < (rb.ValLoss ?? rb.TrainLoss));
    }

    private static FeatureCache? OpenValidation(string cachePath, string? valPath)
    {
        if (valPath is not null)
        {
            return FeatureCache.Open(valPath, null, "validation", "val");
        }

        var root = FeatureCache.TryReadSplitRoot(cachePath);
        string? split = root?.Splits.FirstOrDefault(s => s is "validation" or "val");
        return split is null ? null : FeatureCache.Open(cachePath, split);
    }

    private static Action<EpochRecord> PrintEpoch(int epochs) => r =>
    {
        var inv = CultureInfo.InvariantCulture;
        string val = r.ValLoss is { } vl ? string.Format(inv, "val loss {0:F4} acc {1:P2}  ", vl, r.ValAccuracy) : "";
        Console.Out.WriteLine(string.Format(inv, "epoch {0,3}/{1}  train loss {2:F4} acc {3:P2}  {4}{5,6:F0} ms", r.Epoch, epochs, r.TrainLoss, r.TrainAccuracy, val, r.Milliseconds));
    };
}
