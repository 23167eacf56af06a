using System.CommandLine;

namespace Pipeline.Cli.Options;

/// <summary>Options that several groups and commands use with one meaning; each declared here once.</summary>
internal static class SharedOptions
{
    /// <summary>How many of a folder's images a measuring command uses: bench times the first N, models quantize calibrates on a seeded sample of N.</summary>
    public static readonly Option<int> Images = OptionValues.Int("--images", "N",
        "Use at most N of the folder's images (bench: the first N; models quantize: a deterministic sample of N to calibrate on).", TransferLearning.DefaultCalibrationImages, 1);

    public static readonly Option<bool> Json = OptionValues.Flag("--json", "Print the result as JSON (for scripts).");

    public static readonly Option<bool> Quiet = OptionValues.Flag("--quiet", "No progress output.");

    public static readonly Option<int> Seed = OptionValues.Int("--seed", "S",
        "The seed of everything random: the split and sample of a flat folder, the augmented views, the head's initialisation and shuffles.", new HeadOptions().Seed, 0);

    /// <summary>A string, not a bool: System.CommandLine lets a bool option take only true/false as its value.</summary>
    public static readonly Option<string?> Tta = OptionValues.Parsed<string?>("--tta", "flip",
        "Test-time flips: extract also caches each validation/test image's mirror; evaluate and predict average each image with its mirror.",
        text => text == "flip" ? text : throw new InvalidSettingException("tta", text, "flip"));

    /// <summary>Whether --tta flip was given.</summary>
    public static bool TtaFlip(ParseResult r) => r.GetValue(Tta) is not null;

    public static readonly Option<string> Head = OptionValues.Text("--head", "HEAD", "A head folder written by train (head.json, weights.bin).", required: true);

    /// <summary>The groups every command that prints a result takes.</summary>
    public static Option[] Output => [Json, Quiet];
}
