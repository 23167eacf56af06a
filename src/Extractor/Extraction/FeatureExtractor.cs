using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Extractor.Cache;
using Pipeline.Extractor.Images;
using Pipeline.Extractor.Platform;

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
        using var backbone = Backbone.Load(options.Backbone, progress.Info);
        return Run(options, folder, backbone, progress, cancel);
    }

    /// <summary>The dataset a label file describes; each row left out is one line of progress info.</summary>
    private static ImageFolder FromLabelFile(ExtractionOptions options, string labelFile, IExtractionProgress progress)
    {
        var labels = LabelFile.Read(labelFile, options.Data, options.FileColumn, options.LabelColumn);
        foreach (string problem in labels.Problems)
        {
            progress.Info(problem);
        }

        return ImageFolder.FromLabels(options.Data, labels, options.Selection);
    }

    /// <summary>Extracts with an already loaded backbone (tests and benchmarks reuse one).</summary>
    public static ExtractionReport Run(ExtractionOptions options, ImageFolder folder, Backbone backbone, IExtractionProgress progress, CancellationToken cancel = default)
    {
        Validate(options);
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
            AtomicFile.Write(Path.Combine(options.Out, FeatureCache.ManifestFile), JsonSerializer.SerializeToUtf8Bytes(root, JsonFormats.Indented));
        }

        return new ExtractionReport(options.Out, backbone.Info, backbone.DeviceDescription, options.Batch, workers, reports);
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
    }

    private static void CheckSplitRoot(ExtractionOptions options, ImageFolder folder)
    {
        if (File.Exists(Path.Combine(options.Out, FeatureCache.ManifestFile)) && FeatureCache.TryReadSplitRoot(options.Out) is null)
        {
            Throw.BadCache(options.Out, $"holds a single-split cache, but '{folder.Root}' has splits", "write this dataset's cache to another folder");
        }
    }

    /// <summary>Identifies the feature space an unfinished run writes (its partial rows are reused only by the same one).</summary>
    internal static string Fingerprint(FeatureSpace space) =>
        Sha256.OfText($"{space.Describe()}; cache format {CacheManifest.CurrentFormatVersion}");

    internal static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;
}
