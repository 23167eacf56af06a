using System.ComponentModel;
using Pipeline.Extractor;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class ExtractSettings : BackboneSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Class-per-folder images (DIR/cat/*.jpg), or a root of split folders (train/, validation/, test/).")]
    public string Data { get; init; } = "";

    [CommandOption("--out <CACHE>")]
    [Description("Cache folder to write (one subfolder per split).")]
    public string Out { get; init; } = "";

    [CommandOption("--batch <N>")]
    [Description("Images per inference call.")]
    [DefaultValue(32)]
    public int Batch { get; init; } = 32;

    [CommandOption("--workers <N>")]
    [Description("Decode threads (0: automatic).")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    [CommandOption("--dtype <TYPE>")]
    [Description("float32 or float16 on disk.")]
    [DefaultValue("float32")]
    public string Dtype { get; init; } = "float32";

    [CommandOption("--max-pixels <N>")]
    [Description("Skip images whose header claims more pixels (decompression bombs).")]
    [DefaultValue(100_000_000L)]
    public long MaxPixels { get; init; } = 100_000_000L;

    [CommandOption("--force")]
    [Description("Rebuild a cache made with another backbone or preprocessing.")]
    public bool Force { get; init; }

    [CommandOption("--augment <K>")]
    [Description("Also cache K random views of each training image (flip, rotation, shift, shear, zoom).")]
    [DefaultValue(0)]
    public int Augment { get; init; }

    [CommandOption("--seed <S>")]
    [Description("Seed of the augmented views.")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--flip <BOOL>")]
    [Description("Random horizontal flips in augmented views.")]
    [DefaultValue(true)]
    public bool Flip { get; init; } = true;

    [CommandOption("--rotation <DEGREES>")]
    [DefaultValue(20.0)]
    public double Rotation { get; init; } = 20;

    [CommandOption("--shift <FRACTION>")]
    [DefaultValue(0.2)]
    public double Shift { get; init; } = 0.2;

    [CommandOption("--shear <FACTOR>")]
    [DefaultValue(0.2)]
    public double Shear { get; init; } = 0.2;

    [CommandOption("--zoom <FRACTION>")]
    [DefaultValue(0.2)]
    public double Zoom { get; init; } = 0.2;

    [CommandOption("--tta <KIND>")]
    [Description("flip: also cache each validation/test image's mirror, for 'evaluate --tta flip'.")]
    public string? Tta { get; init; }

    [CommandOption("--shard <I/N>")]
    [Description("Only every N-th image from the I-th: one task of a Slurm array (--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (--shard $JOB_COMPLETION_INDEX/N); then 'merge CACHE'.")]
    public string? Shard { get; init; }

    [CommandOption("--strict")]
    [Description("Exit non-zero when any file was skipped.")]
    public bool Strict { get; init; }

    [CommandOption("--quiet")]
    [Description("No progress output.")]
    public bool Quiet { get; init; }

    [CommandOption("--json")]
    [Description("Print the summary as JSON.")]
    public bool Json { get; init; }

    public override Spectre.Console.ValidationResult Validate() =>
        Data.Length == 0 ? Spectre.Console.ValidationResult.Error("--data DIR is required")
        : Out.Length == 0 ? Spectre.Console.ValidationResult.Error("--out CACHE is required")
        : Spectre.Console.ValidationResult.Success();

    public ExtractionOptions ToOptions() => new()
    {
        Data = Data, Out = Out, Backbone = ToSpec(), Batch = Batch, Workers = Workers, Dtype = Dtype, Force = Force, MaxPixels = MaxPixels,
        Augment = Augment switch
        {
            < 0 or > 64 => throw new PipelineException($"--augment {Augment} is out of range", "pass --augment between 0 and 64", ExitCode.BadArgument),
            0 => null,
            _ => new Augmentation { Views = Augment, Seed = Seed, Flip = Flip, RotationDegrees = Rotation, Shift = Shift, Shear = Shear, Zoom = Zoom },
        },
        Shard = Shard is null ? null : Extractor.Shard.Parse(Shard),
        MirrorViews = TtaOption.IsFlip(Tta),
    };
}

public sealed class ExtractCommand : Command<ExtractSettings>
{
    public override int Execute(CommandContext context, ExtractSettings settings, CancellationToken cancellationToken)
    {
        var report = FeatureExtractor.Run(settings.ToOptions(), new ConsoleProgress(settings.Quiet), cancellationToken);
        ExtractionSummary.Print(report, settings.Json);
        return settings.Strict && report.SkippedCount > 0 ? (int)ExitCode.SkippedFilesStrict : 0;
    }
}

internal static class ExtractionSummary
{
    public static void Print(ExtractionReport report, bool json)
    {
        if (json)
        {
            Output.WriteJson(report);
            return;
        }

        var table = Output.Table("split", "rows", "computed", "reused", "skipped", "img/s", "read s", "decode s", "resize s", "infer s", "write s");
        foreach (var s in report.Splits)
        {
            table.AddRow(s.Split.Length > 0 ? s.Split : "-", $"{s.Images}", $"{s.Computed}", $"{s.Reused}", $"{s.Skipped.Count}", $"{s.ImagesPerSecond:F1}",
                $"{s.Stages.Read:F2}", $"{s.Stages.Decode:F2}", $"{s.Stages.Preprocess:F2}", $"{s.Stages.Inference:F2}", $"{s.Stages.Write:F2}");
        }

        Output.Write(table);
        Console.Out.WriteLine($"backbone {report.Backbone.Describe()}{(report.Backbone.Synthetic ? " [synthetic: random weights]" : "")} on {report.Device}, batch {report.Batch}, {report.Workers} decode workers");
        Console.Out.WriteLine($"{report.Computed} images in {report.Seconds:F1} s: {report.ImagesPerSecond:F1} img/s; cache: {report.Cache}");
        foreach (var s in report.Splits)
        {
            foreach (var skip in s.Skipped)
            {
                Console.Out.WriteLine($"skipped {Path.Combine(s.Split, skip.Path)}: {skip.Reason}");
            }
        }
    }
}
