using System.Text.Json;

namespace Pipeline.Head;

/// <summary>What <c>head.json</c> records: enough to rebuild the head and to refuse features from another backbone.</summary>
internal sealed record HeadManifest
{
    public string Format { get; init; } = "pipeline-head";

    public int FormatVersion { get; init; } = 1;

    public string ToolVersion { get; init; } = ToolInfo.Version;

    public required IReadOnlyList<string> Classes { get; init; }

    public required FeatureInfo Features { get; init; }

    public required BackboneInfo Backbone { get; init; }

    public required Preprocessing Preprocessing { get; init; }

    public required HeadOptions Options { get; init; }

    public required IReadOnlyList<EpochRecord> History { get; init; }

    public int BestEpoch { get; init; }

    public double TrainSeconds { get; init; }

    public int TrainImages { get; init; }

    /// <summary>Rows per image the training set holds (1 + augmented views).</summary>
    public int ViewsCached { get; init; } = 1;

    /// <summary>Rows per image each epoch used: 1 (one view drawn per image), or all of them.</summary>
    public int ViewsPerEpoch { get; init; } = 1;

    /// <summary>Floating-point operations training took, cross-validation included (dense layers, forward and backward).</summary>
    public double TrainFlops { get; init; }

    /// <summary>
    /// Temperature T of the head's probabilities, softmax(logits / T), fitted on held-out predictions
    /// (<see cref="HeadOptions.Calibrate"/>); 1 for a head trained before calibration or without it.
    /// </summary>
    public double Temperature { get; init; } = 1;

    /// <summary>
    /// True for a multi-label head: one sigmoid output per label (binary cross-entropy), label c predicted when
    /// its probability reaches <see cref="Thresholds"/>[c]. Null (left out of head.json) for a softmax head.
    /// </summary>
    public bool? MultiLabel { get; init; }

    /// <summary>A multi-label head's per-label thresholds, chosen on held-out probabilities (max F1; 0.5 for a label with no held-out positive).</summary>
    public IReadOnlyList<double>? Thresholds { get; init; }

    /// <summary>The k-fold cross-validation that chose the epoch count, when the head was trained with folds.</summary>
    public CrossValidation? CrossValidation { get; init; }

    /// <summary>The history's record of <see cref="BestEpoch"/>: the epoch whose weights were kept.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public EpochRecord Best => History[BestEpoch - 1];

    /// <summary>
    /// The head's held-out accuracy, the one place it is read: the cross-validated mean when there was one, else the
    /// validation split's at the chosen epoch; null when nothing was held out.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double? HeldOutAccuracy => CrossValidation?.Accuracy ?? Best.ValAccuracy;

    /// <summary>The held-out loss, as <see cref="HeldOutAccuracy"/>; the training loss at the chosen epoch when nothing was held out.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double HeldOutLoss => CrossValidation?.Loss ?? Best.ValLoss ?? Best.TrainLoss;

    /// <summary>The feature space the head was trained in: what every cache it evaluates, and every backbone it runs behind, must share.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public FeatureSpace Space => new() { Backbone = Backbone, Preprocessing = Preprocessing, Dtype = Features.Dtype, Classes = Classes };
}

/// <summary>
/// A trained head with its manifest. One just trained owns its TorchSharp module; one loaded from its folder has only
/// its weights as arrays (<see cref="HeadWeights"/>), so predict, evaluate and export never load libtorch.
/// </summary>
internal sealed class TrainedHead : IDisposable
{
    public const string ManifestFile = "head.json";
    public const string WeightsFile = "weights.bin";
    public const string CurvesFile = "curves.png";

    internal TrainedHead(DenseHead model, CacheManifest cache, HeadOptions options, IReadOnlyList<EpochRecord> history, int bestEpoch, double seconds)
        : this(model, new HeadManifest
        {
            Classes = cache.Classes, Features = cache.Features, Backbone = cache.Backbone, Preprocessing = cache.Preprocessing,
            Options = options, History = history, BestEpoch = bestEpoch, TrainSeconds = seconds,
            TrainImages = cache.Items.Select(i => i.Path).Distinct(StringComparer.Ordinal).Count(),
        })
    {
    }

    private TrainedHead(DenseHead model, HeadManifest manifest)
    {
        Model = model;
        Manifest = manifest;
    }

    private TrainedHead(HeadWeights weights, HeadManifest manifest)
    {
        _weights = weights;
        Manifest = manifest;
    }

    private HeadWeights? _weights;

    /// <summary>The TorchSharp module of a head trained in this process; null for one loaded from its folder.</summary>
    public DenseHead? Model { get; }

    /// <summary>The weights as arrays: what inference, export and <see cref="Save"/> use.</summary>
    public HeadWeights Weights => _weights ??= HeadWeights.From(Model!);

    public HeadManifest Manifest { get; private set; }

    /// <summary>Set by the trainer: rows per image used each epoch.</summary>
    internal int ViewsPerEpoch
    {
        init => Manifest = Manifest with { ViewsPerEpoch = value };
    }

    /// <summary>Set by the trainer: rows per image the training cache holds.</summary>
    internal int ViewsCached
    {
        init => Manifest = Manifest with { ViewsCached = value };
    }

    /// <summary>Set by the trainer: the work training took.</summary>
    internal double TrainFlops
    {
        init => Manifest = Manifest with { TrainFlops = value };
    }

    /// <summary>Set by the trainer when the head was refitted on training + validation images.</summary>
    internal int TrainImages
    {
        init => Manifest = Manifest with { TrainImages = value };
    }

    /// <summary>Set by the trainer: the temperature fitted on held-out predictions.</summary>
    internal double Temperature
    {
        init => Manifest = Manifest with { Temperature = value };
    }

    /// <summary>Set by the trainer for a multi-label head (null: a softmax head): its per-label thresholds.</summary>
    internal IReadOnlyList<double>? Thresholds
    {
        init => Manifest = value is null ? Manifest : Manifest with { MultiLabel = true, Thresholds = value };
    }

    /// <summary>Set by the trainer: the cross-validation that chose the epochs (and setting).</summary>
    internal CrossValidation? CrossValidation
    {
        init => Manifest = Manifest with { CrossValidation = value };
    }

    /// <summary>
    /// Writes weights.bin and head.json as a pair (<see cref="HeadFiles"/>: a kill leaves the old head or the
    /// new one, never one's weights beside the other's classes), and curves.png when asked.
    /// </summary>
    public void Save(string dir, bool curves = true)
    {
        HeadFiles.Write(dir, tmp =>
        {
            using var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            Weights.Write(file);
        }, JsonSerializer.SerializeToUtf8Bytes(Manifest, JsonFormats.Indented));
        if (curves)
        {
            AtomicFile.WriteVia(Path.Combine(dir, CurvesFile), tmp => Curves.Save(Manifest.History, Manifest.BestEpoch, tmp));
        }
    }

    /// <summary>
    /// Reads a head folder: every field of head.json, then the declared sizes against weights.bin's length, before any
    /// weight is allocated; then the weights, each tensor's name, shape and finiteness.
    /// </summary>
    public static TrainedHead Load(string dir)
    {
        string path = HeadFiles.Current(dir, ManifestFile), weights = HeadFiles.Current(dir, WeightsFile);
        if (!File.Exists(path) || !File.Exists(weights))
        {
            throw new HeadFileException(dir, $"no {ManifestFile} and {WeightsFile} here", "train a head into this folder first");
        }

        HeadManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<HeadManifest>(File.ReadAllBytes(path), JsonFormats.Indented);
        }
        catch (JsonException e)
        {
            throw new HeadFileException(dir, $"{ManifestFile} is not valid ({e.Message})", "train the head again");
        }

        // Every field, then the sizes against weights.bin's length: before any layer is allocated.
        HeadManifestCheck.Validate(dir, manifest);
        HeadManifestCheck.CheckWeightsLength(dir, weights, manifest!);
        if (manifest!.MultiLabel == true && (manifest.Thresholds?.Count != manifest.Classes.Count || manifest.Thresholds.Any(t => !(t >= 0 && t <= 1))))
        {
            throw new HeadFileException(dir, $"{ManifestFile} is multi-label but has {manifest.Thresholds?.Count ?? 0} thresholds in [0, 1] for {manifest.Classes.Count} labels", "train the head again");
        }

        try
        {
            return new TrainedHead(HeadWeights.Read(weights, manifest.Features.Length, manifest.Options.Hidden, manifest.Classes.Count), manifest);
        }
        catch (NonFiniteWeightsException e)
        {
            throw new HeadFileException(dir, $"weights.bin's tensor '{e.Tensor}' holds a NaN or infinity", "train the head again (a diverged run is refused, so this file was damaged or written elsewhere)");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new HeadFileException(dir, $"{WeightsFile} does not match {ManifestFile} ({e.Message})", "train the head again with this version of the tool");
        }
    }

    /// <summary>Refuses features from another feature space (backbone, preprocessing, classes), naming the first difference.</summary>
    public void CheckCompatible(CacheManifest cache, string cacheDir)
    {
        if (cache.Space.Mismatch(Manifest.Space, FeatureAspects.Head) is { } difference)
        {
            throw new FeatureSpaceMismatchException(MismatchSite.HeadAndCache, $"cache '{cacheDir}'", "the head's training features", difference);
        }

        if ((cache.MultiLabel == true) != (Manifest.MultiLabel == true))
        {
            throw new CacheException(cacheDir, cache.MultiLabel == true ? "is multi-label, but the head has one label per image" : "has one label per image, but the head is multi-label",
                cache.MultiLabel == true ? "train a head on this cache (its outputs are then one sigmoid per label)" : "evaluate it on a cache extracted with the same --labels file and --label-separator");
        }
    }

    /// <summary>Class probabilities (n, classes) for n feature rows (n, F): softmax(logits / T) with the head's temperature.</summary>
    public float[] Probabilities(ReadOnlySpan<float> features, int n) => Probabilities(features, n, Manifest.Temperature);

    /// <summary>
    /// Class probabilities (n, classes), softmax(logits / <paramref name="temperature"/>), for n feature rows (n, F);
    /// a multi-label head's are sigmoid(logits), one independent probability per label (no temperature).
    /// </summary>
    public float[] Probabilities(ReadOnlySpan<float> features, int n, double temperature)
    {
        var z = Weights.Logits(features, n);   // (n, classes)
        if (Manifest.MultiLabel == true)
        {
            System.Numerics.Tensors.TensorPrimitives.Sigmoid(z, z);
            return z;
        }

        int k = Weights.Outputs;
        for (int i = 0; i < n; i++)
        {
            var row = z.AsSpan(i * k, k);
            if (temperature != 1)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(row, (float)temperature, row);
            }

            System.Numerics.Tensors.TensorPrimitives.SoftMax(row, row);
        }

        return z;
    }

    /// <summary>
    /// Test-time flips, the one place they are averaged: each image's probabilities (n, classes) averaged with its
    /// mirror's, whose features are <paramref name="mirrored"/> (empty: no flips).
    /// </summary>
    public float[] Probabilities(ReadOnlySpan<float> features, ReadOnlySpan<float> mirrored, int n) => Probabilities(features, mirrored, n, Manifest.Temperature);

    /// <summary>The same at a given temperature (1: the uncalibrated probabilities evaluation compares with).</summary>
    public float[] Probabilities(ReadOnlySpan<float> features, ReadOnlySpan<float> mirrored, int n, double temperature)
    {
        var p = Probabilities(features, n, temperature);
        if (!mirrored.IsEmpty)
        {
            var pm = Probabilities(mirrored, n, temperature);
            System.Numerics.Tensors.TensorPrimitives.Add(p, pm, p);
            System.Numerics.Tensors.TensorPrimitives.Multiply(p, 0.5f, p);
        }

        return p;
    }

    public void Dispose() => Model?.Dispose();
}
