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

    /// <summary>One setting of a sweep as --json prints it.</summary>
    public sealed record SweepRow(string Params, double? ValAccuracy, double? AccuracyStdErr, double ValLoss, double? LossStdErr, int BestEpoch, double Seconds, string Verdict);

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
        int epochs = grid.Max(o => o.Epochs);
        var (best, scores) = HeadSelection.Select(train, val, grid, folds, quiet || grid.Count < 2 ? null : PrintScore(folds), quiet ? null : PrintEpoch(epochs));
        var rows = Rows(scores);
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

    /// <summary>The scores as rows, each with its verdict against the best: "best", "tie" (within two standard errors) or "worse".</summary>
    private static List<SweepRow> Rows(IReadOnlyList<SettingScore> scores)
    {
        var best = scores.MinBy(s => s.Loss)!;
        return scores.OrderBy(s => s.Loss).Select(s => new SweepRow(s.Options.Describe(), s.Accuracy, s.AccuracyStdErr, s.Loss, s.LossStdErr, s.BestEpoch, s.Seconds,
            ReferenceEquals(s, best) ? "best" : s.LossStdErr is null ? "-" : s.TiesWith(best) ? "tie" : "worse")).ToList();
    }

    /// <summary>The settings by held-out loss; ties are marked, not ranked.</summary>
    private static void PrintSweep(List<SweepRow> rows)
    {
        var table = Output.Table("params", "held-out acc", "held-out loss", "vs best", "epochs", "seconds");
        foreach (var r in rows)
        {
            string acc = r.ValAccuracy is { } a ? (r.AccuracyStdErr is { } ase ? $"{a:P2} ± {ase:P2}" : $"{a:P2}") : "-";
            string loss = r.LossStdErr is { } lse ? $"{r.ValLoss:F4} ± {lse:F4}" : $"{r.ValLoss:F4}";
            table.AddRow(r.Params, acc, loss, r.Verdict, $"{r.BestEpoch}", $"{r.Seconds:F2}");
        }

        Output.Write(table);
    }

    private static Action<SettingScore> PrintScore(int folds) => s => Console.Out.WriteLine(s.LossStdErr is null
        ? $"-- {s.Options.Describe()}: validation accuracy {s.Accuracy:P2}, loss {s.Loss:F4}, best epoch {s.BestEpoch}"
        : string.Format(CultureInfo.InvariantCulture, "-- {0}: {1}-fold accuracy {2:P2} ± {3:P2}, loss {4:F4} ± {5:F4}, {6} epochs",
            s.Options.Describe(), folds, s.Accuracy, s.AccuracyStdErr, s.Loss, s.LossStdErr, s.BestEpoch));

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
