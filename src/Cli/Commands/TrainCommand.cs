using System.ComponentModel;
using System.Globalization;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using Pipeline.Head;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>Head hyper-parameters, shared by train and run.</summary>
public class HeadSettings : CommandSettings
{
    [CommandOption("--epochs <N>")]
    [DefaultValue(10)]
    public int Epochs { get; init; } = 10;

    [CommandOption("--head-batch <N>")]
    [Description("Mini-batch size of head training.")]
    [DefaultValue(64)]
    public int HeadBatch { get; init; } = 64;

    [CommandOption("--lr <RATE>")]
    [DefaultValue(1e-3)]
    public double Lr { get; init; } = 1e-3;

    [CommandOption("--hidden <WIDTHS>")]
    [Description("Hidden widths: 256 (default), 512,128 for two layers, 0 for a linear head.")]
    [DefaultValue("256")]
    public string Hidden { get; init; } = "256";

    [CommandOption("--dropout <P>")]
    [DefaultValue(0.2)]
    public double Dropout { get; init; } = 0.2;

    [CommandOption("--weight-decay <W>")]
    [DefaultValue(0.0)]
    public double WeightDecay { get; init; }

    [CommandOption("--patience <P>")]
    [Description("Early stopping: epochs without a better validation loss (0: off). The best epoch's weights are kept either way.")]
    [DefaultValue(0)]
    public int Patience { get; init; }

    [CommandOption("--seed <S>")]
    [DefaultValue(42)]
    public int Seed { get; init; } = 42;

    [CommandOption("--head-device <DEVICE>")]
    [Description("Where the head trains: auto (CUDA when torch reports it), cpu, cuda.")]
    [DefaultValue("auto")]
    public string HeadDevice { get; init; } = "auto";

    [CommandOption("--all-views")]
    [Description("With augmented views cached: train on all of them each epoch (default: one view per image per epoch).")]
    public bool AllViews { get; init; }

    [CommandOption("--no-standardize")]
    [Description("Feed raw features to the head (default: standardise each with the training set's mean and std).")]
    public bool NoStandardize { get; init; }

    [CommandOption("--sweep <GRID>")]
    [Description("Train every combination, e.g. \"lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5\" (512+128 is two layers); keeps the best.")]
    public string? Sweep { get; init; }

    public virtual HeadOptions ToOptions() => new()
    {
        Epochs = Epochs, Batch = HeadBatch, LearningRate = Lr, Hidden = ParseHidden(Hidden, ','), Dropout = Dropout,
        WeightDecay = WeightDecay, Patience = Patience, Seed = Seed, Device = HeadDevice, Standardize = !NoStandardize, AllViews = AllViews,
    };

    public static IReadOnlyList<int> ParseHidden(string text, char separator)
    {
        var parts = text.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var widths = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, CultureInfo.InvariantCulture, out int w) || w < 0)
            {
                throw new PipelineException($"--hidden '{text}' is not a list of widths", "pass --hidden 256, --hidden 512,128 or --hidden 0", ExitCode.BadArgument);
            }

            if (w > 0)
            {
                widths.Add(w);
            }
        }

        return widths;
    }
}

public sealed class TrainSettings : HeadSettings
{
    [CommandOption("--cache <CACHE>")]
    [Description("Training features: a cache, or a split root (then its train split, validated on validation).")]
    public string Cache { get; init; } = "";

    [CommandOption("--val <CACHE>")]
    [Description("Validation features (default: the root's validation split, if any).")]
    public string? Val { get; init; }

    [CommandOption("--out <HEAD>")]
    [Description("Folder for weights.bin, head.json and curves.png.")]
    public string Out { get; init; } = "";

    [CommandOption("--batch <N>")]
    [Description("Mini-batch size (same as --head-batch).")]
    public int? Batch { get; init; }

    [CommandOption("--json")]
    public bool Json { get; init; }

    [CommandOption("--quiet")]
    public bool Quiet { get; init; }

    public override HeadOptions ToOptions() => base.ToOptions() with { Batch = Batch ?? HeadBatch };

    public override ValidationResult Validate() =>
        Cache.Length == 0 ? ValidationResult.Error("--cache CACHE is required")
        : Out.Length == 0 ? ValidationResult.Error("--out HEAD is required")
        : ValidationResult.Success();
}

public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        var result = HeadTraining.Run(settings.Cache, settings.Val, settings.Out, settings, settings.Quiet || settings.Json);
        if (settings.Json)
        {
            Output.WriteJson(result);
        }

        return 0;
    }
}
