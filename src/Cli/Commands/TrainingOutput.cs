using System.Globalization;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Training (or a sweep) from the command line, shared by train and run.</summary>
internal static class TrainingOutput
{
    /// <summary>What train --json prints; ValLoss is the held-out loss (the training loss where nothing was held out); Gflops the dense layers' rate.</summary>
    public sealed record Result(string Head, int BestEpoch, double? ValAccuracy, double ValLoss, double Seconds, CrossValidation? CrossValidation, IReadOnlyList<SweepRow>? Sweep, double Gflops);

    /// <summary>One setting of a sweep as --json prints it.</summary>
    public sealed record SweepRow(string Params, double? ValAccuracy, double? AccuracyStdErr, double ValLoss, double? LossStdErr, int BestEpoch, double Seconds, string Verdict);

    /// <summary>Trains through the library's entry point (its defaults are the CLI's), saves the head, prints what was chosen.</summary>
    public static Result Run(string cachePath, string? valPath, string outDir, System.CommandLine.ParseResult parsed, bool quiet)
    {
        var baseline = Options.TrainOptionGroup.Bind(parsed);
        var grid = parsed.GetValue(Options.TrainOptionGroup.Sweep) is { } sweep ? SweepGrid.Expand(sweep, baseline) : [baseline];
        var pipeline = new TransferLearning
        {
            HeadOptions = baseline,
            Folds = parsed.GetValue(Options.TrainOptionGroup.Folds),
            Log = line => Console.Error.WriteLine(line),
            OnEpoch = quiet ? null : PrintEpoch(grid.Max(o => o.Epochs)),
        };
        var report = pipeline.Sweep(cachePath, grid, valPath);
        using var best = report.Classifier;
        var rows = Rows(report.Scores);
        best.Save(outDir);
        // A sweep, or the convex probe beside the default: every candidate's score (one setting alone: none).
        var result = new Result(outDir, best.BestEpoch, best.HeldOutAccuracy, best.HeldOutLoss, best.TrainSeconds, best.CrossValidation, rows.Count > 1 ? rows : null, best.TrainGflops);
        if (!quiet)
        {
            if (rows.Count > 1)
            {
                PrintSweep(rows);
            }

            if (best.Views.Cached > 1)
            {
                Console.Out.WriteLine($"views: {best.Views.Cached} cached per image, {best.Views.PerEpoch} used per image per epoch");
            }

            var inv = CultureInfo.InvariantCulture;
            Console.Out.WriteLine(best.CrossValidation is { MicroF1: { } f1 } mcv
                ? string.Format(inv, "{0} over {1} images chose {2} epochs (of {7} run): held-out micro-F1 {3:F4} at the per-label thresholds chosen on the same out-of-fold probabilities, loss {4:F4} ± {5:F4} (mean BCE per image ± standard error); the folds and the refit took {6:F2} s; head saved to {8}",
                    mcv.FoldsTrained == 1 ? $"one held-out 1/{mcv.Folds} (iteratively stratified)" : $"{mcv.Folds}-fold cross-validation (iteratively stratified)", mcv.Images, mcv.BestEpoch, f1, mcv.Loss, mcv.LossStdErr, best.TrainSeconds, mcv.EpochsRun, outDir)
                : best.CrossValidation is { } cv
                ? string.Format(inv, "{0} over {1} images chose {2} epochs (of {9} run): held-out accuracy {3:P2} ± {4:P2}, loss {5:F4} ± {6:F4} (mean ± standard error); the folds and the refit on all {1} images took {7:F2} s at {10:F1} GFLOP/s; head saved to {8}",
                    cv.FoldsTrained == 1 ? $"one held-out 1/{cv.Folds} (stratified)" : $"{cv.Folds}-fold cross-validation", cv.Images, cv.BestEpoch, cv.Accuracy, cv.AccuracyStdErr, cv.Loss, cv.LossStdErr, best.TrainSeconds, outDir, cv.EpochsRun, result.Gflops)
                : $"best epoch {best.BestEpoch}: val acc {(best.HeldOutAccuracy is { } va ? va.ToString("P2", inv) : "n/a")}, trained in {best.TrainSeconds:F2} s; head saved to {outDir}");
            if (best.CrossValidation is { MicroF1: null, FittedTemperature: not 1 } t)
            {
                Console.Out.WriteLine(string.Format(inv, "temperature: T = {0:F3} fitted on the out-of-fold logits lowers their log-loss by {1:F4}; {2}",
                    t.FittedTemperature, t.TemperatureGain, t.Temperature == 1 ? $"less than its standard error ({t.LossStdErr.ToString("F4", inv)}), so the head keeps T = 1" : "more than its standard error, so the head applies it"));
            }
        }

        return result;
    }

    /// <summary>The scores as rows, each with its verdict against the best: "best", "tie" (within two standard errors) or "worse".</summary>
    private static List<SweepRow> Rows(IReadOnlyList<SettingScore> scores)
    {
        if (scores.Count == 0)
        {
            return [];
        }

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

    private static Action<EpochRecord> PrintEpoch(int epochs) => r =>
    {
        var inv = CultureInfo.InvariantCulture;
        string val = r.ValLoss is { } vl ? string.Format(inv, "val loss {0:F4} acc {1:P2}  ", vl, r.ValAccuracy) : "";
        Console.Out.WriteLine(string.Format(inv, "epoch {0,3}/{1}  train loss {2:F4} acc {3:P2}  {4}{5,6:F0} ms", r.Epoch, epochs, r.TrainLoss, r.TrainAccuracy, val, r.Milliseconds));
    };
}
