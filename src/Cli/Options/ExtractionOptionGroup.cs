using System.CommandLine;

namespace Pipeline.Cli.Options;

/// <summary>What extract (and run) reads and writes: the images, which of them, and the cache's form.</summary>
internal static class ExtractionOptionGroup
{
    public static readonly Option<string> Data = OptionValues.Text("--data", "DIR",
        "Images: class-per-folder (DIR/cat/*.jpg), or a root of split folders (train/, validation/, test/).", required: true);

    public static readonly Option<SplitRule?> Split = OptionValues.Parsed<SplitRule?>("--split", "RULE",
        "Split a flat class-per-folder tree without copying a file: fractions (train=0.8,validation=0.1,test=0.1) or counts per class (train=500,validation=100,test=200). Each image's split comes from a hash of its path and --seed.",
        text => SplitRule.Parse(text, "split"));

    public static readonly Option<SplitRule?> Sample = OptionValues.Parsed<SplitRule?>("--sample", "N|RULE",
        "Keep N images per class of the training split (or SPLIT=N,… per split), chosen by hash and --seed: the walkthrough's small-data experiment.",
        text => SplitRule.Parse(text, "sample", bareCountIsTrain: true));

    public static readonly Option<FeatureDtype> Dtype = OptionValues.Parsed("--dtype", "float32|float16", "How feature rows are stored on disk.",
        text => SettingNames.Parse<FeatureDtype>("dtype", text), () => FeatureDtype.Float32);

    public static readonly Option<long> MaxPixels = new("--max-pixels")
    {
        HelpName = "N",
        Description = "Skip images whose header claims more pixels (decompression bombs).",
        DefaultValueFactory = _ => ExtractionOptions.DefaultMaxPixels,
    };

    public static readonly Option<bool> Force = OptionValues.Flag("--force", "Rebuild a cache made in another feature space (backbone, preprocessing, dtype, classes, views, split rule).");

    public static readonly Option<Shard?> Shard = OptionValues.Parsed<Shard?>("--shard", "I/N",
        "Only every N-th image from the I-th: one task of a Slurm array (--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (--shard $JOB_COMPLETION_INDEX/N); then 'merge CACHE'.",
        text => Pipeline.Shard.Parse(text));

    public static readonly Option<bool> Strict = OptionValues.Flag("--strict", "Exit non-zero when any file was skipped.");

    public static readonly Option<string?> Labels = new("--labels")
    {
        HelpName = "FILE",
        Description = "A label file: a CSV with a header (filename,label or Kaggle's id,label) or JSON lines, paths relative to --data. extract: labels from it instead of class folders; predict: the images it lists, scored where it has labels. A missing file, a repeated row or a row without a label is left out with one line.",
    };

    public static readonly Option<string?> FileColumn = new("--file-column")
    {
        HelpName = "NAME",
        Description = "The --labels column that names each image (default: the first of filename, file, path, image, id).",
    };

    public static readonly Option<string?> LabelColumn = new("--label-column")
    {
        HelpName = "NAME",
        Description = "The --labels column that holds each image's label (default: label).",
    };

    public static readonly Option<string?> LabelSeparator = new("--label-separator")
    {
        HelpName = "SEP",
        Description = "Several labels per image (multi-label): split each --labels cell on SEP (e.g. '|'; blank parts dropped). The head then has one sigmoid output per label.",
    };

    public static readonly Option<string[]?> LabelColumns = new("--label-columns")
    {
        HelpName = "NAMES",
        Description = "Several labels per image (multi-label), one 0/1 column each in the --labels CSV: e.g. cat,dog,indoor, or '*' for every column but the file column. A row with another value is left out with one line.",
        CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries)).ToArray(),
    };

    public static Option[] All => [Data, Labels, FileColumn, LabelColumn, LabelSeparator, LabelColumns, Split, Sample, Dtype, MaxPixels, Force, Shard, Strict, SharedOptions.Tta, SharedOptions.Seed];

    public static ExtractionOptions Bind(ParseResult r, string outDir) => new()
    {
        Data = r.GetValue(Data)!,
        Out = outDir,
        Backbone = BackboneOptions.Bind(r),
        Batch = r.GetValue(BackboneOptions.Batch),
        Workers = r.GetValue(BackboneOptions.Workers),
        Dtype = r.GetValue(Dtype),
        MaxPixels = r.GetValue(MaxPixels),
        Force = r.GetValue(Force),
        Shard = r.GetValue(Shard),
        MirrorViews = SharedOptions.TtaFlip(r),
        Augment = AugmentationOptions.Bind(r),
        Selection = r.GetValue(Split) is null && r.GetValue(Sample) is null ? null
            : new ImageSelection(r.GetValue(Split), r.GetValue(Sample), r.GetValue(SharedOptions.Seed)),
        Labels = r.GetValue(Labels),
        FileColumn = r.GetValue(FileColumn),
        LabelColumn = r.GetValue(LabelColumn),
        LabelSeparator = r.GetValue(LabelSeparator),
        LabelColumns = r.GetValue(LabelColumns) is { Length: > 0 } columns ? columns : null,   // absent: System.CommandLine gives an empty array
    };

    /// <summary>The one --strict rule (extract and run): files were skipped and --strict was given → exit non-zero, after the work is done.</summary>
    public static int ExitCodeFor(ParseResult r, ExtractionReport report) =>
        r.GetValue(Strict) && report.SkippedCount > 0 ? (int)ExitCode.SkippedFilesStrict : 0;
}
