using System.Diagnostics;
using System.Text.Json;

namespace Pipeline.Extractor.Extraction;

/// <summary>
/// <c>extract</c>: runs a frozen backbone once over an image folder (every split of it) and
/// writes a feature cache per split. Resumable after a kill, incremental when files change,
/// and refuses to mix rows from another backbone or preprocessing.
/// </summary>
internal static class FeatureExtractor
{
    public static ExtractionReport Run(ExtractionOptions options, IExtractionProgress? progress = null, CancellationToken cancel = default)
    {
        progress ??= SilentProgress.Instance;
        Validate(options);
        var folder = options.Labels is { } labelFile ? FromLabelFile(options, labelFile, progress) : ImageFolder.Scan(options.Data, options.Selection);
        using var backbone = Backbone.Load(WithCalibration(options), progress.Info);
        return Run(options, folder, backbone, progress, cancel);
    }

    /// <summary>The dataset a label file describes; each row left out is one line of progress info.</summary>
    private static ImageFolder FromLabelFile(ExtractionOptions options, string labelFile, IExtractionProgress progress)
    {
        var labels = LabelFile.Read(labelFile, options.Data, options.FileColumn, options.LabelColumn, options.LabelSeparator, options.LabelColumns);
        foreach (string problem in labels.Problems)
        {
            progress.Info(problem);
        }

        return ImageFolder.FromLabels(options.Data, labels, options.Selection);
    }

    /// <summary>int8 calibrates on the training images about to be extracted (the train split of a split root) and keeps its file in CACHE/.models.</summary>
    private static BackboneSpec WithCalibration(ExtractionOptions options) => options.Backbone.Precision != Precision.Int8 ? options.Backbone : options.Backbone with
    {
        Calibration = options.Backbone.Calibration ?? (Directory.Exists(Path.Combine(options.Data, SplitName.Train)) ? Path.Combine(options.Data, SplitName.Train) : options.Data),
        QuantizedModels = options.Backbone.QuantizedModels ?? Path.Combine(options.Out, ".models"),
    };

    /// <summary>Extracts with an already loaded backbone (tests and benchmarks reuse one).</summary>
    public static ExtractionReport Run(ExtractionOptions options, ImageFolder folder, Backbone backbone, IExtractionProgress progress, CancellationToken cancel = default)
    {
        Validate(options);
        CheckOutOutsideData(options, folder);
        int workers = options.Workers > 0 ? options.Workers : DefaultWorkers(backbone);
        Directory.CreateDirectory(options.Out);
        var reports = new List<SplitReport>();
        if (folder.HasSplits)
        {
            CheckSplitRoot(options, folder);
        }

        foreach (var split in folder.Splits)
        {
            string dir = folder.HasSplits ? Path.Combine(options.Out, split.Name) : options.Out;
            if (options.Shard is { } shard)
            {
                dir = Path.Combine(dir, CacheMerge.ShardsFolder, shard.FolderName);
            }

            reports.Add(SplitExtraction.Run(options, folder, split, dir, backbone, workers, progress, cancel));
        }

        if (folder.HasSplits)
        {
            var root = new SplitRootManifest { Splits = folder.Splits.Select(s => s.Name).ToList(), Classes = folder.Classes };
            AtomicFile.Write(Path.Combine(options.Out, FeatureCache.ManifestFile), stream => JsonSerializer.Serialize(stream, root, JsonFormats.Indented));
        }

        return new ExtractionReport { Cache = options.Out, Backbone = backbone.Info, Device = backbone.DeviceDescription, Batch = options.Batch, Workers = workers, Splits = reports };
    }

    /// <summary>
    /// On a GPU, inference is fast and every core should decode. On a CPU, inference already uses
    /// every core: two low-priority decoders (one per 4 cores on bigger machines) fill its gaps,
    /// and both cores decode whenever inference has to wait.
    /// </summary>
    public static int DefaultWorkers(Backbone backbone) =>
        backbone.IsCuda ? Math.Max(1, CpuBudget.Cores - 1) : Math.Max(2, CpuBudget.Cores / 4);

    private static void Validate(ExtractionOptions options)
    {
        if (options.Batch is < 1 or > 4096)
        {
            Throw.InvalidSetting("batch", options.Batch, "from 1 to 4096 (32 is a good start)");
        }

        if (options.Workers is < 0 or > 256)
        {
            Throw.InvalidSetting("workers", options.Workers, "from 1 to 256, or 0 for automatic");
        }

        if (!Enum.IsDefined(options.Dtype))
        {
            Throw.InvalidSetting("dtype", options.Dtype, "float32 or float16");
        }

        if (options.MaxPixels < 1)
        {
            // 0 or less would skip every image as a decompression bomb.
            Throw.InvalidSetting("max-pixels", options.MaxPixels, $"at least 1 (the default is {ExtractionOptions.DefaultMaxPixels:N0})");
        }

        if (options.LabelSeparator is { } separator && options.Labels is null)
        {
            // Class folders hold one label per image: a separator has no label cell to split.
            Throw.InvalidSetting("label-separator", separator, "used with a label file (labels): class folders give one label per image");
        }

        if (options.LabelColumns is { } columns && options.Labels is null)
        {
            Throw.InvalidSetting("label-columns", string.Join(",", columns), "used with a CSV label file (labels): class folders give one label per image");
        }
    }

    /// <summary>
    /// A cache written inside the data folder would be listed by the next run as a class (or a split) of images:
    /// refused before anything is written.
    /// </summary>
    private static void CheckOutOutsideData(ExtractionOptions options, ImageFolder folder)
    {
        string data = Path.TrimEndingDirectorySeparator(folder.Root) + Path.DirectorySeparatorChar;
        string output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Out)) + Path.DirectorySeparatorChar;
        if (output.StartsWith(data, StringComparison.Ordinal))
        {
            Throw.BadDataLayout(folder.Root, $"the cache folder '{options.Out}' is {(output == data ? "the data folder itself" : "inside the data folder")}: the next run would read the cache as images",
                "write the cache to a folder beside the data (for example --out cache next to --data photos)");
        }
    }

    private static void CheckSplitRoot(ExtractionOptions options, ImageFolder folder)
    {
        if (FeatureCache.IsSingleCache(options.Out))
        {
            Throw.BadCache(options.Out, $"holds a single-split cache, but '{folder.Root}' has splits", "write this dataset's cache to another folder");
        }
    }

    /// <summary>Identifies the feature space an unfinished run writes (its partial rows are reused only by the same one).</summary>
    internal static string Fingerprint(FeatureSpace space) =>
        Sha256.OfText($"{space.Describe()}; cache format {CacheManifest.CurrentFormatVersion}");

    internal static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;
}
