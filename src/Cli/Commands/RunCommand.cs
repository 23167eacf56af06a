using System.ComponentModel;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using Pipeline.Head;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class RunSettings : HeadSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Images: class-per-folder, or split folders (train/, validation/, test/).")]
    public string Data { get; init; } = "";

    [CommandOption("--out <WORK>")]
    [Description("Work folder: WORK/cache (features) and WORK/head (the trained head).")]
    public string Out { get; init; } = "";

    [CommandOption("--backbone <NAME|FILE>")]
    [DefaultValue("resnet18")]
    public string Backbone { get; init; } = "resnet18";

    [CommandOption("--model <FILE>")]
    public string? Model { get; init; }

    [CommandOption("--preprocess <KIND>")]
    public string? Preprocess { get; init; }

    [CommandOption("--device <DEVICE>")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";

    [CommandOption("--batch <N>")]
    [DefaultValue(32)]
    public int Batch { get; init; } = 32;

    [CommandOption("--workers <N>")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    [CommandOption("--force")]
    public bool Force { get; init; }

    [CommandOption("--augment <K>")]
    [Description("Cache K random views of each training image (see extract --help).")]
    [DefaultValue(0)]
    public int Augment { get; init; }

    [CommandOption("--augment-seed <S>")]
    [DefaultValue(0)]
    public int AugmentSeed { get; init; }

    [CommandOption("--tta <KIND>")]
    [Description("flip: cache mirrors of validation/test images and evaluate with test-time flips.")]
    public string? Tta { get; init; }

    [CommandOption("--quiet")]
    public bool Quiet { get; init; }

    [CommandOption("--json")]
    public bool Json { get; init; }

    public override ValidationResult Validate() =>
        Data.Length == 0 ? ValidationResult.Error("--data DIR is required")
        : Out.Length == 0 ? ValidationResult.Error("--out WORK is required")
        : ValidationResult.Success();
}

/// <summary>extract (all splits) → train → evaluate on test, with one summary at the end.</summary>
public sealed class RunCommand : Command<RunSettings>
{
    public override int Execute(CommandContext context, RunSettings settings, CancellationToken cancellationToken)
    {
        string cacheDir = Path.Combine(settings.Out, "cache"), headDir = Path.Combine(settings.Out, "head");
        var extraction = FeatureExtractor.Run(new ExtractionOptions
        {
            Data = settings.Data, Out = cacheDir, Batch = settings.Batch, Workers = settings.Workers, Force = settings.Force,
            Augment = settings.Augment > 0 ? new Augmentation { Views = settings.Augment, Seed = settings.AugmentSeed } : null,
            MirrorViews = TtaOption.IsFlip(settings.Tta),
            Backbone = new BackboneSpec { Backbone = settings.Backbone, Model = settings.Model, Preprocess = settings.Preprocess, Device = settings.Device },
        }, new ConsoleProgress(settings.Quiet || settings.Json), cancellationToken);
        if (!settings.Json)
        {
            ExtractionSummary.Print(extraction, json: false);
        }

        bool hasSplits = FeatureCache.TryReadSplitRoot(cacheDir) is not null;
        var training = HeadTraining.Run(cacheDir, null, headDir, settings, settings.Quiet || settings.Json);
        Evaluation? test = null;
        if (hasSplits && FeatureCache.TryReadSplitRoot(cacheDir)!.Splits.Contains("test"))
        {
            using var head = TrainedHead.Load(headDir);
            using var cache = FeatureCache.Open(cacheDir, "test");
            test = Evaluation.Run(head, cache, TtaOption.IsFlip(settings.Tta));
            if (!settings.Json)
            {
                EvaluateCommand.Print(test, json: false);
            }
        }

        if (settings.Json)
        {
            Output.WriteJson(new { Extraction = extraction, Training = training, Test = test });
            return 0;
        }

        var summary = Output.Table("extraction", "head training", "validation accuracy", "test accuracy");
        summary.AddRow($"{extraction.Computed} images, {extraction.ImagesPerSecond:F1} img/s, {extraction.Seconds:F1} s",
            $"{training.Seconds:F2} s (best epoch {training.BestEpoch})",
            training.ValAccuracy is { } v ? $"{v:P2}" : "-",
            test is null ? "-" : $"{test.Accuracy:P2} ({test.Images} images; 95 % CI {test.AccuracyLow:P1}–{test.AccuracyHigh:P1})");
        Output.Write(summary);
        if (extraction.Backbone.Synthetic)
        {
            Console.Out.WriteLine("warning: synthetic backbone with random weights: these accuracies mean nothing");
        }

        return 0;
    }
}
