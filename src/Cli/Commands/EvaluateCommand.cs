using System.ComponentModel;
using Pipeline.Extractor.Cache;
using Pipeline.Head;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class EvaluateSettings : CommandSettings
{
    [CommandOption("--head <HEAD>")]
    public string Head { get; init; } = "";

    [CommandOption("--cache <CACHE>")]
    [Description("Features to evaluate on: a cache, or a split root (then its test split).")]
    public string Cache { get; init; } = "";

    [CommandOption("--json")]
    public bool Json { get; init; }

    [CommandOption("--tta <KIND>")]
    [Description("flip: average each image with its mirror (the cache must hold mirrors: extract --tta flip).")]
    public string? Tta { get; init; }

    public override ValidationResult Validate() =>
        Head.Length == 0 ? ValidationResult.Error("--head HEAD is required")
        : Cache.Length == 0 ? ValidationResult.Error("--cache CACHE is required")
        : ValidationResult.Success();
}

public sealed class EvaluateCommand : Command<EvaluateSettings>
{
    public override int Execute(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        using var head = TrainedHead.Load(settings.Head);
        using var cache = FeatureCache.Open(settings.Cache, null, "test");
        var evaluation = Evaluation.Run(head, cache, TtaOption.IsFlip(settings.Tta));
        Print(evaluation, settings.Json);
        return 0;
    }

    internal static void Print(Evaluation e, bool json)
    {
        if (json)
        {
            Output.WriteJson(e);
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
        for (int i = 0; i < e.Confusion.Length; i++)
        {
            confusion.AddRow([e.PerClass[i].Class, .. e.Confusion[i].Select(v => $"{v}")]);
        }

        Output.Write(confusion);
    }
}
