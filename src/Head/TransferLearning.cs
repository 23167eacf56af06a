namespace Pipeline;

/// <summary>
/// The entry point for C# callers: extract a folder of labelled images through a frozen backbone once, train a
/// dense head on the cached features (as often as you like), then evaluate, predict and export through the
/// <see cref="Classifier"/> it returns. The settings default to the CLI's, because the CLI calls this type:
/// ResNet18 (embedded) on CUDA when it loads, else the CPU; the walkthrough's Dense(256) head with weight
/// decay 0.01, its epochs chosen by 5-fold cross-validation, then refitted on every training image.
/// </summary>
/// <example>
/// <code>
/// var pipeline = new TransferLearning();
/// pipeline.Extract("photos", "work/cache");          // once: photos/{train,validation,test}/{cat,dog}/*.jpg
/// using var classifier = pipeline.Train("work/cache");
/// Console.WriteLine(classifier.Evaluate("work/cache").Accuracy);
/// </code>
/// </example>
public sealed class TransferLearning
{
    /// <summary>The backbone, its preprocessing, device, precision and threads (default: resnet18 on auto).</summary>
    public BackboneSpec Backbone { get; init; } = new();

    /// <summary>The head's hyper-parameters (default: Dense(256), dropout 0.2, Adam 1e-3, weight decay 0.01, up to 40 epochs).</summary>
    public HeadOptions HeadOptions { get; init; } = new();

    /// <summary>
    /// K of the cross-validation that chooses the epochs (default 5); lowered to the images of the smallest
    /// class when it has fewer. 0 trains on the training split and selects on the validation split.
    /// </summary>
    /// <exception cref="InvalidSettingException">Outside 0 or 2 to 20 (checked when set, so a caller learns before any work starts).</exception>
    public int Folds
    {
        get => _folds;
        init
        {
            HeadSelection.ValidateFolds(value);
            _folds = value;
        }
    }

    private readonly int _folds = HeadSelection.DefaultFolds;

    /// <summary>Extraction progress (per split: total, done, skipped); null for none.</summary>
    public IExtractionProgress? Progress { get; init; }

    /// <summary>Lines worth telling a user: the device chosen, fewer folds than asked, and why.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Called after every epoch of the final head's training.</summary>
    public Action<EpochRecord>? OnEpoch { get; init; }

    /// <summary>Runs the backbone once over <paramref name="data"/> and caches its features in <paramref name="cache"/>; resumable, incremental.</summary>
    /// <param name="data">Class-per-folder images (<c>DIR/cat/*.jpg</c>), or a root of split folders (<c>train/</c>, <c>validation/</c>, <c>test/</c>).</param>
    /// <param name="cache">The cache folder: one cache per split below it.</param>
    /// <returns>Per split: images cached, computed, reused and skipped (with each file's reason).</returns>
    public ExtractionReport Extract(string data, string cache) =>
        Extract(new ExtractionOptions { Data = data, Out = cache, Backbone = Backbone }, CancellationToken.None);

    /// <summary>As <see cref="Extract(string, string)"/>, with every extraction setting (split rule, sample, views, shard, dtype) and cancellation.</summary>
    /// <param name="options">What to extract and how; its <see cref="ExtractionOptions.Backbone"/> is used as given.</param>
    /// <param name="cancel">Stops between batches; what was committed is kept and resumed by the next run.</param>
    public ExtractionReport Extract(ExtractionOptions options, CancellationToken cancel)
    {
        var progress = Progress ?? (Log is { } log ? new LogProgress(log) : null);
        return FeatureExtractor.Run(options, progress, cancel);
    }

    /// <summary>Trains the head with <see cref="HeadOptions"/> on a cache, cross-validated as <see cref="Folds"/> says.</summary>
    /// <param name="cache">A split root (its train split, validated on its validation split) or one split's cache.</param>
    /// <param name="validation">A validation cache, where <paramref name="cache"/> is not a split root.</param>
    public Classifier Train(string cache, string? validation = null) => Sweep(cache, [HeadOptions], validation).Classifier;

    /// <summary>Cross-validates every setting, keeps the best (the lowest held-out loss) and refits it on all training images.</summary>
    /// <param name="cache">A split root or one split's cache.</param>
    /// <param name="settings">The settings to compare; each is validated first.</param>
    /// <param name="validation">A validation cache, where <paramref name="cache"/> is not a split root.</param>
    /// <returns>The chosen classifier and every setting's held-out score.</returns>
    public TrainingReport Sweep(string cache, IReadOnlyList<HeadOptions> settings, string? validation = null)
    {
        if (settings.Count == 0)
        {
            throw new InvalidSettingException("sweep", "", "at least one setting");
        }

        using var train = FeatureCache.Open(cache, null, SplitName.Train);
        using var val = OpenValidation(cache, validation);
        if (train.Manifest.Backbone.Synthetic)
        {
            Log?.Invoke("warning: these features come from a synthetic backbone with random weights: accuracy means nothing");
        }

        var selection = HeadSelection.Select(train, val, settings, Folds, null, OnEpoch, Log);
        return new TrainingReport(new Classifier(selection.Head, Backbone, Log), selection.Scores);
    }

    /// <summary>
    /// Audits a cache from its features alone: label suspects (out-of-fold probabilities from the same
    /// cross-validation as <see cref="Train"/>, confident learning's per-class thresholds; test images scored by
    /// a head trained on training + validation), near-duplicate groups over every split (leaks flagged), and
    /// outliers. Each list most suspect first.
    /// </summary>
    /// <param name="cache">A split root (train, validation, test) or one split's cache.</param>
    public AuditReport Audit(string cache)
    {
        using var train = FeatureCache.Open(cache, null, SplitName.Train);
        using var val = OpenValidation(cache, null);
        using var test = FeatureCache.HasSplit(cache, SplitName.Test) ? FeatureCache.Open(cache, SplitName.Test) : null;
        return DatasetAudit.Run(train, val, test, HeadOptions, Math.Max(Folds, 2), Log) with { Cache = cache, Sources = Sources(cache) };
    }

    /// <summary>Each split's image folder, as its cache manifest recorded it (the flat cache's under the empty name).</summary>
    private static Dictionary<string, string?> Sources(string cache)
    {
        var sources = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string dir in FeatureCache.SplitFolders(cache))
        {
            var manifest = FeatureCache.ReadManifest(dir);
            sources[manifest.Split] = manifest.Source;
        }

        return sources;
    }

    /// <summary>
    /// Writes an int8 copy of <see cref="Backbone"/> for the CPU's integer kernels (<c>models quantize</c>): BatchNorms
    /// folded, per-channel int8 weights, uint8 activations calibrated on a deterministic sample of
    /// <paramref name="calibration"/>'s images. The file records its preprocessing and feature tensor, so a
    /// <see cref="BackboneSpec"/> naming it needs nothing else; its own hash is its feature space.
    /// </summary>
    /// <param name="calibration">Images like the ones the backbone will see (a training split), in class folders or not.</param>
    /// <param name="output">The int8 model file to write (atomically).</param>
    /// <param name="images">Calibration images sampled.</param>
    /// <param name="method">How activation ranges are read: <see cref="CalibrationMethod.MinMax"/> (the default) or percentiles.</param>
    /// <param name="weightBits">7 (the default: no int16 saturation on AVX2 without VNNI, the same features on every x86 CPU) or 8.</param>
    /// <returns>How many convolutions run as integer kernels, which ops stay float, and the cosine to fp32 on images outside the sample.</returns>
    public QuantizationReport Quantize(string calibration, string output, int images = DefaultCalibrationImages, CalibrationMethod method = DefaultCalibrationMethod, int weightBits = DefaultWeightBits) =>
        Int8Quantizer.Run(new QuantizeOptions { Backbone = Backbone, Calibration = calibration, Output = output, Images = images, Method = method, WeightBits = weightBits }, Log);

    /// <summary>Calibration images <see cref="Quantize"/> samples unless told otherwise.</summary>
    public const int DefaultCalibrationImages = QuantizeOptions.DefaultImages;

    /// <summary>How <see cref="Quantize"/> reads activation ranges unless told otherwise.</summary>
    public const CalibrationMethod DefaultCalibrationMethod = CalibrationMethod.MinMax;

    /// <summary>
    /// <see cref="Quantize"/>'s weight precision unless told otherwise: 7, so no u8×s8 pair overflows int16 on AVX2
    /// without VNNI and every x86 CPU computes the same features.
    /// </summary>
    public const int DefaultWeightBits = 7;

    /// <summary>Loads a head saved by <see cref="Classifier.Save"/> (or the CLI's <c>train</c>); it runs behind its own backbone.</summary>
    /// <param name="head">The head's folder (head.json and weights.bin).</param>
    public Classifier Load(string head) => new(TrainedHead.Load(head), Backbone, Log, head);

    private static FeatureCache? OpenValidation(string cache, string? validation)
    {
        if (validation is not null)
        {
            return FeatureCache.Open(validation, null, SplitName.Validation, SplitName.ValidationShort);
        }

        string? split = FeatureCache.SplitsOf(cache).FirstOrDefault(SplitName.IsValidation);   // a single cache's one split, "", is none
        return split is null ? null : FeatureCache.Open(cache, split);
    }

    /// <summary>Extraction progress as log lines: one per split started, one when it ends.</summary>
    private sealed class LogProgress(Action<string> log) : IExtractionProgress
    {
        private string _split = "";

        public void Info(string line) => log(line);

        public void Begin(string split, int total, int alreadyDone)
        {
            _split = split;
            log($"{split}: {total} images, {alreadyDone} already cached");
        }

        public void Advance(int images, int skipped)
        {
        }

        public void End() => log($"{_split}: done");
    }
}
