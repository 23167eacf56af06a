using System.Globalization;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using Pipeline.Head;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Training (or a sweep) from the command line, shared by train and run.</summary>
internal static class HeadTraining
{
    public sealed record Result(string Head, int BestEpoch, double? ValAccuracy, double ValLoss, double Seconds, CrossValidation? CrossValidation, IReadOnlyList<SweepRow>? Sweep);

    /// <summary>One setting of a sweep: held-out accuracy and loss (cross-validated means ± standard errors, or on the validation split).</summary>
    public sealed record SweepRow(string Params, double? ValAccuracy, double? AccuracyStdErr, double ValLoss, double? LossStdErr, int BestEpoch, double Seconds);

    public static Result Run(string cachePath, string? valPath, string outDir, System.CommandLine.ParseResult parsed, bool quiet)
    {
        using var train = FeatureCache.Open(cachePath, null, "train");
        using var val = OpenValidation(cachePath, valPath);
        if (train.Manifest.Backbone.Synthetic)
        {
            Console.Error.WriteLine("warning: these features come from a synthetic backbone with random weights: accuracy means nothing");
        }

        var baseline = Options.HeadTrainingOptions.Bind(parsed);
        int folds = parsed.GetValue(Options.HeadTrainingOptions.Folds);
        var grid = parsed.GetValue(Options.HeadTrainingOptions.Sweep) is { } sweep ? SweepGrid.Expand(sweep, baseline) : [baseline];
        var best = folds >= 2 ? CrossValidated(train, val, grid, folds, quiet, out var rows) : OnValidation(train, val, grid, quiet, out rows);
        best.Save(outDir);
        var m = best.Manifest;
        var b = m.History[m.BestEpoch - 1];
        var result = new Result(outDir, m.BestEpoch, m.CrossValidation?.Accuracy ?? b.ValAccuracy, m.CrossValidation?.Loss ?? b.ValLoss ?? b.TrainLoss,
            m.TrainSeconds, m.CrossValidation, grid.Count > 1 ? rows : null);
        if (!quiet)
        {
            if (grid.Count > 1)
            {
                PrintSweep(rows);
            }

            if (m.ViewsCached > 1)
            {
                Console.Out.WriteLine($"views: {m.ViewsCached} cached per image, {m.ViewsPerEpoch} used per image per epoch");
            }

            var inv = CultureInfo.InvariantCulture;
            Console.Out.WriteLine(m.CrossValidation is { } cv
                ? string.Format(inv, "{0}-fold cross-validation over {1} images chose {2} epochs: held-out accuracy {3:P2} ± {4:P2}, loss {5:F4} ± {6:F4} (mean ± standard error); the {0} folds and the refit on all {1} images took {7:F2} s; head saved to {8}",
                    cv.Folds, cv.Images, cv.BestEpoch, cv.Accuracy, cv.AccuracyStdErr, cv.Loss, cv.LossStdErr, m.TrainSeconds, outDir)
                : $"best epoch {m.BestEpoch}: val acc {(b.ValAccuracy is { } va ? va.ToString("P2", inv) : "n/a")}, trained in {m.TrainSeconds:F2} s; head saved to {outDir}");
        }

        best.Dispose();
        return result;
    }

    /// <summary>Each setting cross-validated over training + validation; the lowest mean held-out loss is refitted on all of it.</summary>
    private static TrainedHead CrossValidated(FeatureCache train, FeatureCache? val, List<HeadOptions> grid, int folds, bool quiet, out List<SweepRow> rows)
    {
        rows = [];
        (HeadOptions Options, CrossValidation Cv)? best = null;
        foreach (var options in grid)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var cv = HeadTrainer.CrossValidate(train, val, options, folds);
            rows.Add(new SweepRow(options.Describe(), cv.Accuracy, cv.AccuracyStdErr, cv.Loss, cv.LossStdErr, cv.BestEpoch, clock.Elapsed.TotalSeconds));
            if (!quiet && grid.Count > 1)
            {
                Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "-- {0}: {1}-fold accuracy {2:P2} ± {3:P2}, loss {4:F4} ± {5:F4}, {6} epochs",
                    options.Describe(), folds, cv.Accuracy, cv.AccuracyStdErr, cv.Loss, cv.LossStdErr, cv.BestEpoch));
            }

            if (best is null || cv.Loss < best.Value.Cv.Loss)
            {
                best = (options, cv);
            }
        }

        return HeadTrainer.Refit(train, val, best!.Value.Options, best.Value.Cv, quiet ? null : PrintEpoch(best.Value.Cv.BestEpoch));
    }

    /// <summary>Each setting trained on the training split and chosen by the validation split (--folds 0).</summary>
    private static TrainedHead OnValidation(FeatureCache train, FeatureCache? val, List<HeadOptions> grid, bool quiet, out List<SweepRow> rows)
    {
        rows = [];
        TrainedHead? best = null;
        foreach (var options in grid)
        {
            if (!quiet && grid.Count > 1)
            {
                Console.Out.WriteLine($"-- {options.Describe()}");
            }

            var head = HeadTrainer.Train(train, val, options, quiet ? null : PrintEpoch(options.Epochs));
            var r = head.Manifest.History[head.Manifest.BestEpoch - 1];
            rows.Add(new SweepRow(options.Describe(), r.ValAccuracy, null, r.ValLoss ?? r.TrainLoss, null, head.Manifest.BestEpoch, head.Manifest.TrainSeconds));
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

        return best!;
    }

    /// <summary>
    /// The settings by held-out loss; a setting whose loss is within two standard errors of the best one's is
    /// marked "tie": the data cannot tell them apart, so they are not ranked.
    /// </summary>
    private static void PrintSweep(List<SweepRow> rows)
    {
        var best = rows.MinBy(r => r.ValLoss)!;
        var table = Output.Table("params", "held-out acc", "held-out loss", "vs best", "epochs", "seconds");
        foreach (var r in rows.OrderBy(r => r.ValLoss))
        {
            string acc = r.ValAccuracy is { } a ? (r.AccuracyStdErr is { } ase ? $"{a:P2} ± {ase:P2}" : $"{a:P2}") : "-";
            string loss = r.LossStdErr is { } lse ? $"{r.ValLoss:F4} ± {lse:F4}" : $"{r.ValLoss:F4}";
            double se = Math.Sqrt(Math.Pow(r.LossStdErr ?? 0, 2) + Math.Pow(best.LossStdErr ?? 0, 2));
            string verdict = ReferenceEquals(r, best) ? "best" : r.LossStdErr is null ? "-" : r.ValLoss - best.ValLoss <= 2 * se ? "tie" : "worse";
            table.AddRow(r.Params, acc, loss, verdict, $"{r.BestEpoch}", $"{r.Seconds:F2}");
        }

        Output.Write(table);
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
