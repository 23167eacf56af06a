namespace Pipeline.Tests.Support;

/// <summary>
/// The shared photos (train, validation, test) through the real embedded ResNet18, extracted once
/// for every test in the collection (about 40 s on 2 cores).
/// </summary>
public sealed class ResNetCache : IDisposable
{
    /// <summary>Training photos of each class a reduced precision's head is trained on (the first by manifest order).</summary>
    public const int ComparisonTrainPerClass = 100;

    private readonly TempDir _dir = new();
    private readonly Lazy<string> _comparisonPhotos;
    private readonly Lazy<Evaluation> _fp32HeadOnComparison;

    public ResNetCache()
    {
        Report = FeatureExtractor.Run(new ExtractionOptions { Data = TestPaths.CatsVsDogs, Out = Root, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        _comparisonPhotos = new(MakeComparisonPhotos);
        _fp32HeadOnComparison = new(() => TrainAndEvaluate(Root, ComparisonExclusions()));
    }

    public string Root => _dir.Sub("cache");

    public ExtractionReport Report { get; }

    /// <summary>
    /// What a reduced precision (fp16, int8) is compared with fp32 on: a link farm laid out as the shared tree, holding
    /// the first <see cref="ComparisonTrainPerClass"/> training photos of each class and all 400 test photos (one photo is
    /// 0.25 %; the fp32 head's 95 % interval stays about ±2 %). 600 photos to extract instead of 1,600.
    /// </summary>
    public string ComparisonPhotos => _comparisonPhotos.Value;

    /// <summary>
    /// The default head on these fp32 features of <see cref="ComparisonPhotos"/>' training photos (every other training
    /// and validation image excluded), evaluated on the test split: what a reduced precision's head, trained on the same
    /// photos, is held to (trained once).
    /// </summary>
    public Evaluation Fp32HeadOnComparison => _fp32HeadOnComparison.Value;

    public string Split(string name) => Path.Combine(Root, name);

    public void Dispose() => _dir.Dispose();

    /// <summary>Through the entry point, with the CLI's defaults (5-fold cross-validation, then a refit), on the CPU; evaluated on the test split.</summary>
    public static Evaluation TrainAndEvaluate(string root, IReadOnlyList<string>? exclude = null)
    {
        using var classifier = new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu, Exclude = exclude ?? [] } }.Train(root);
        return classifier.Evaluate(root);
    }

    /// <summary>The manifest paths (split/class/file) of the training photos <see cref="ComparisonPhotos"/> holds.</summary>
    private List<string> ComparisonTrainPaths()
    {
        var manifest = FeatureCache.ReadManifest(Split(SplitName.Train));
        return manifest.Items.GroupBy(i => i.Path.Split('/')[0], StringComparer.Ordinal)
            .SelectMany(g => g.Take(ComparisonTrainPerClass)).Select(i => i.Path).ToList();
    }

    private List<string> ComparisonExclusions()
    {
        var kept = ComparisonTrainPaths().ToHashSet(StringComparer.Ordinal);
        var train = FeatureCache.ReadManifest(Split(SplitName.Train)).Items.Where(i => !kept.Contains(i.Path)).Select(i => $"{SplitName.Train}/{i.Path}");
        var validation = FeatureCache.ReadManifest(Split(SplitName.Validation)).Items.Select(i => $"{SplitName.Validation}/{i.Path}");
        return [.. train, .. validation];
    }

    private string MakeComparisonPhotos()
    {
        string root = _dir.Sub("comparison-photos");
        var photos = ComparisonTrainPaths().Select(p => Path.Combine(SplitName.Train, p))
            .Concat(FeatureCache.ReadManifest(Split(SplitName.Test)).Items.Select(i => Path.Combine(SplitName.Test, i.Path)));
        return Datasets.LinkTree(root, photos.Select(p => Path.Combine(TestPaths.CatsVsDogs, p)));
    }
}

[CollectionDefinition(Name)]
public sealed class ResNetCollection : ICollectionFixture<ResNetCache>
{
    public const string Name = "resnet18 features of the shared photos";
}
