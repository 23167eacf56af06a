using System.Diagnostics;

namespace Pipeline.Head.Training;

/// <summary>Trains a <see cref="DenseHead"/> on cached features: Adam, softmax cross-entropy, early stopping on validation loss.</summary>
internal static partial class HeadTrainer
{
    /// <summary>Seeds of epoch shuffles are seed × this + epoch: distinct streams for up to this many epochs per seed, the same on every run.</summary>
    private const int SeedStride = 100_003;

    public static TrainedHead Train(FeatureCache train, FeatureCache? validation, HeadOptions options, Action<EpochRecord>? log = null)
    {
        Validate(train, validation, options);
        var source = FeatureSource.Of(train, validation, options.Exclude);
        var views = ViewGroups(source, source.RowsOf(0));
        int[]? valRows = source.HasValidation && CleanRows(source, source.RowsOf(1)) is { Length: > 0 } rows ? rows : null;   // an empty split validates nothing
        var total = Stopwatch.StartNew();
        CheckClassWeights(train.Classes, options);
        var fit = Fit(source, views, valRows, options, log);
        // Calibrated on the validation split the epoch was chosen on (Guo et al. fit T on the validation set too).
        double temperature = valRows is null || source.MultiLabel ? 1 : Temperature(options, Logits(fit.Model, source, valRows), valRows.Select(r => source.Labels[r]).ToArray(), source.ClassCount);
        // Multi-label: each label's threshold chosen on the validation split's probabilities (0.5 without one).
        var thresholds = !source.MultiLabel ? null : valRows is null ? MultiLabelThresholds.Default(source.ClassCount) : MultiLabelThresholds.Choose(source, valRows, Logits(fit.Model, source, valRows));
        return new TrainedHead(fit.Model, train.Manifest, options, fit.History, fit.BestEpoch, total.Elapsed.TotalSeconds)
        {
            Temperature = temperature,
            Thresholds = thresholds,
            TrainFlops = fit.Flops,
            ViewsPerEpoch = options.AllViews ? views.Max(v => v.Length) : 1,
            ViewsCached = views.Max(v => v.Length),
        };
    }

    /// <summary>
    /// What a multi-label head cannot take, refused rather than ignored: class weights (a label set has no one
    /// class to weigh) and the convex probe (a softmax regression). Temperature scaling is skipped instead: the
    /// per-label thresholds are the decision rule.
    /// </summary>
    private static void CheckMultiLabel(HeadOptions options)
    {
        if (options.BalancedClassWeights || options.ClassWeights is { Count: > 0 })
        {
            throw new InvalidSettingException("class-weight", options.BalancedClassWeights ? "balanced" : string.Join(",", options.ClassWeights!.Keys),
                "for a multi-label cache: its loss is one binary cross-entropy per label; leave class weights out");
        }

        if (options.ConvexProbe || options.Solver == HeadSolver.Lbfgs)
        {
            throw new InvalidSettingException("convex-probe", "on", "for a multi-label cache: the probe is a softmax (multinomial) regression; leave it off");
        }
    }

    /// <summary>A fitted model, its per-epoch record, the epoch whose weights it holds, and the work it took (floating-point operations).</summary>
    private sealed record FitResult(DenseHead Model, IReadOnlyList<EpochRecord> History, int BestEpoch, double Flops);

    /// <summary>
    /// The training loop (<see cref="FoldRun"/>) on rows of <paramref name="source"/>: <paramref name="views"/>
    /// groups each training image's rows, <paramref name="valRows"/> the clean rows it is validated on (null:
    /// none). Keeps the weights of the epoch with the lowest validation loss, or of the last epoch when there is
    /// no validation; stops early after <see cref="HeadOptions.Patience"/> epochs without a better one.
    /// </summary>
    private static FitResult Fit(FeatureSource source, int[][] views, int[]? valRows, HeadOptions options, Action<EpochRecord>? log)
    {
        var device = TorchDevice.Choose(options.Device);
        using var rows = new FeatureRows(source, options.Batch, device);
        using var run = new FoldRun(source, rows, views, valRows, options, device);
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var record = run.RunEpoch(epoch);   // never inside log?.Invoke(…): a null log would skip the epoch
            log?.Invoke(record);
            if (run.HeldOut is not null && options.Patience > 0 && epoch - run.BestEpoch >= options.Patience)
            {
                break;
            }
        }

        return new FitResult(run.Finish(), run.History, run.BestEpoch, run.Flops);
    }

    /// <summary>A model trained on <paramref name="views"/> for exactly <paramref name="epochs"/> epochs, nothing held out (the audit's out-of-fold heads).</summary>
    internal static DenseHead FitModel(FeatureSource source, int[][] views, HeadOptions options, int epochs) =>
        Fit(source, views, null, options with { Epochs = epochs, Patience = 0 }, null).Model;

    /// <summary>Class probabilities (rows, classes) of <paramref name="model"/> on the given rows: the softmax of <see cref="Logits"/>.</summary>
    internal static float[] Probabilities(DenseHead model, FeatureSource source, int[] rows, int batch = 1024)
    {
        var p = Logits(model, source, rows, batch);
        TemperatureScaling.Softmax(p, source.ClassCount, 1);
        return p;
    }

    /// <summary>The given rows grouped by image (path): its clean row and its cached views, in cache order.</summary>
    internal static int[][] ViewGroups(FeatureSource source, IEnumerable<int> rows) =>
        rows.GroupBy(r => source.Items[r].Path, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();

    /// <summary>The clean row of every image (what validation and evaluation read).</summary>
    internal static int[] CleanRows(FeatureCache cache) => Enumerable.Range(0, cache.Count).Where(r => cache.Manifest.Items[r].Kind is null).ToArray();

    internal static int[] CleanRows(FeatureSource source, IEnumerable<int> rows) => rows.Where(r => source.Items[r].Kind is null).ToArray();

    /// <summary>
    /// One epoch's rows, shuffled: one view per image drawn at random (so an epoch is still one
    /// pass over the images), or every view with <see cref="HeadOptions.AllViews"/>.
    /// </summary>
    internal static int[] EpochRows(int[][] views, HeadOptions options, int epoch)
    {
        var rng = new Random(unchecked((options.Seed * SeedStride) + epoch));
        var rows = options.AllViews ? views.SelectMany(v => v).ToArray() : views.Select(v => v[rng.Next(v.Length)]).ToArray();
        rng.Shuffle(rows);
        return rows;
    }

    /// <summary>Per-feature mean and standard deviation over the given rows, one row at a time (memory-mapped).</summary>
    internal static (float[] Mean, float[] Std) FeatureStatistics(FeatureSource source, IEnumerable<int> rows)
    {
        int f = source.FeatureLength;
        var sum = new double[f];
        var sq = new double[f];
        var row = new float[f];
        int n = 0;
        foreach (int r in rows)
        {
            source.ReadRow(r, row);
            for (int i = 0; i < f; i++)
            {
                sum[i] += row[i];
                sq[i] += (double)row[i] * row[i];
            }

            n++;
        }

        n = Math.Max(n, 1);
        var mean = sum.Select(s => (float)(s / n)).ToArray();
        var std = sq.Select((s, i) => (float)Math.Sqrt(Math.Max(s / n - (sum[i] / n) * (sum[i] / n), 0))).ToArray();
        return (mean, std);
    }

    private static void Validate(FeatureCache train, FeatureCache? validation, HeadOptions options)
    {
        options.Validate();
        if (train.MultiLabel)
        {
            CheckMultiLabel(options);
        }

        if (validation is null)
        {
            return;
        }

        if (validation.MultiLabel != train.MultiLabel)
        {
            throw new CacheException(validation.Directory, $"is {(validation.MultiLabel ? "multi-label" : "single-label")} but the training cache '{train.Directory}' is {(train.MultiLabel ? "multi-label" : "single-label")}",
                "extract every split from one label file with the same --label-separator");
        }

        if (validation.Manifest.Space.Mismatch(train.Manifest.Space, FeatureAspects.Head) is { } difference)
        {
            throw new FeatureSpaceMismatchException(MismatchSite.TrainingAndValidation, $"validation cache '{validation.Directory}'", $"training cache '{train.Directory}'", difference);
        }
    }
}
