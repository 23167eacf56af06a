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

/// <summary>Training (or a sweep) from the command line, shared by train and run.</summary>
internal static class HeadTraining
{
    public sealed record Result(string Head, int BestEpoch, double? ValAccuracy, double ValLoss, double Seconds, IReadOnlyList<SweepRow>? Sweep);

    public sealed record SweepRow(string Params, double? ValAccuracy, double ValLoss, int BestEpoch, double Seconds);

    public static Result Run(string cachePath, string? valPath, string outDir, HeadSettings settings, bool quiet)
    {
        using var train = FeatureCache.Open(cachePath, null, "train");
        using var val = OpenValidation(cachePath, valPath);
        if (train.Manifest.Backbone.Synthetic)
        {
            Console.Error.WriteLine("warning: these features come from a synthetic backbone with random weights: accuracy means nothing");
        }

        var grid = settings.Sweep is null ? [settings.ToOptions()] : SweepGrid.Expand(settings.Sweep, settings.ToOptions());
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

/// <summary>"lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5" → every combination of options.</summary>
internal static class SweepGrid
{
    public static List<HeadOptions> Expand(string grid, HeadOptions baseline)
    {
        var combos = new List<HeadOptions> { baseline };
        foreach (var term in grid.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = term.Split('=', 2);
            if (kv.Length != 2)
            {
                Bad(term);
            }

            var values = kv[1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            combos = combos.SelectMany(c => values.Select(v => Apply(c, kv[0].ToLowerInvariant(), v, term))).ToList();
        }

        return combos;
    }

    private static HeadOptions Apply(HeadOptions o, string key, string value, string term)
    {
        double Num() => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : Bad(term);
        return key switch
        {
            "lr" => o with { LearningRate = Num() },
            "hidden" => o with { Hidden = HeadSettings.ParseHidden(value, '+') },
            "dropout" => o with { Dropout = Num() },
            "weight-decay" or "wd" => o with { WeightDecay = Num() },
            "epochs" => o with { Epochs = (int)Num() },
            "batch" => o with { Batch = (int)Num() },
            "seed" => o with { Seed = (int)Num() },
            _ => throw BadTerm(term),
        };
    }

    private static double Bad(string term) => throw BadTerm(term);

    private static PipelineException BadTerm(string term) => new($"--sweep term '{term}' is not KEY=V1,V2 with KEY one of lr, hidden, dropout, wd, epochs, batch, seed",
        "e.g. --sweep \"lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5\"", ExitCode.BadArgument);
}
