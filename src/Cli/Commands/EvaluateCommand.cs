using Spectre.Console;
using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>evaluate</c>: a head on cached features, with the accuracy's 95 % interval.</summary>
internal static class EvaluateCommand
{
    public static readonly Option<string> Cache = OptionValues.Text("--cache", "CACHE", "Features to evaluate on: a cache, or a split root (then its test split).", required: true);

    public static readonly Option<string?> Report = new("--report")
    {
        HelpName = "DIR",
        Description = "Also write DIR/index.html: one self-contained page with the confusion matrix, per-class precision/recall/F1 and a thumbnail of every misclassified image, worst first.",
    };

    public static Command Create()
    {
        var command = new Command("evaluate", """
            Accuracy (with its 95 % Wilson interval), per-class precision/recall/F1 and the confusion matrix of a head on cached features.
            Example: pipeline evaluate --head head --cache cache/test --report report
            """);
        Compose.Add(command, [SharedOptions.Head, Cache, SharedOptions.Tta, Report, SharedOptions.Json]);
        command.SetAction(r =>
        {
            using var classifier = new TransferLearning().Load(r.GetValue(SharedOptions.Head)!);
            var evaluation = classifier.Evaluate(r.GetValue(Cache)!, SharedOptions.TtaFlip(r));
            Print(evaluation, r.GetValue(SharedOptions.Json));
            if (r.GetValue(Report) is { } dir)
            {
                Console.Error.WriteLine($"report: {evaluation.WriteReport(dir)}");
            }

            return 0;
        });
        return command;
    }

    internal static void Print(Evaluation e, bool json)
    {
        if (json)
        {
            Output.WriteJson(e);
            return;
        }

        if (e.MultiLabel is { } m)
        {
            PrintMultiLabel(e, m);
            return;
        }

        Console.Out.WriteLine($"accuracy {e.Accuracy:P2} on {e.Images} images (95 % Wilson interval {e.AccuracyLow:P2} to {e.AccuracyHigh:P2}; {e.Correct} correct; loss {e.Loss:F4})");
        var table = Output.Table("class", "precision", "recall", "F1", "support");
        foreach (var c in e.PerClass)
        {
            table.AddRow(c.Class, $"{c.Precision:P2}", $"{c.Recall:P2}", $"{c.F1:F4}", $"{c.Support}");
        }

        Output.Write(table);
        var confusion = Output.Table(["true \\ predicted", .. e.PerClass.Select(c => c.Class)]);
        for (int i = 0; i < e.Confusion.Count; i++)
        {
            confusion.AddRow([e.PerClass[i].Class, .. e.Confusion[i].Select(v => $"{v}")]);
        }

        Output.Write(confusion);
        Console.Out.WriteLine($"balanced accuracy {e.BalancedAccuracy:P2} (mean per-class recall)");
        if (e.Calibration is { } cal)
        {
            Console.Out.WriteLine(cal.Temperature == 1
                ? $"expected calibration error {cal.ErrorAfter:P2} (15 bins; the head is not temperature-scaled)"
                : $"expected calibration error {cal.ErrorBefore:P2} before, {cal.ErrorAfter:P2} after temperature scaling (T = {cal.Temperature:F3}; 15 bins; loss {cal.LossBefore:F4} before)");
        }
    }

    /// <summary>A multi-label head: per-label precision/recall/F1 at its threshold and average precision; micro/macro F1, mAP, subset accuracy.</summary>
    private static void PrintMultiLabel(Evaluation e, MultiLabelEvaluation m)
    {
        Console.Out.WriteLine($"subset accuracy {m.SubsetAccuracy:P2} on {e.Images} images ({m.ExactMatches} with every label right; 95 % Wilson interval {e.AccuracyLow:P2} to {e.AccuracyHigh:P2}; mean binary cross-entropy {e.Loss:F4})");
        var table = Output.Table("label", "threshold", "precision", "recall", "F1", "AP", "support");
        for (int c = 0; c < m.PerLabel.Count; c++)
        {
            var l = m.PerLabel[c];
            table.AddRow(l.Class, $"{m.Thresholds[c]:F3}", $"{l.Precision:P2}", $"{l.Recall:P2}", $"{l.F1:F4}", double.IsFinite(m.AveragePrecision[c]) ? $"{m.AveragePrecision[c]:F4}" : "-", $"{l.Support}");
        }

        Output.Write(table);
        Console.Out.WriteLine($"micro-F1 {m.MicroF1:F4}  macro-F1 {m.MacroF1:F4}  mAP {m.MeanAveragePrecision:F4}");
    }
}
