using Pipeline.Extractor;

namespace Pipeline.Tests.Support;

/// <summary>
/// The shared photos (train, validation, test) through the real embedded ResNet18, extracted once
/// for every test in the collection (about 40 s on 2 cores).
/// </summary>
public sealed class ResNetCache : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Lazy<Evaluation> _defaultHead;

    public ResNetCache()
    {
        Report = FeatureExtractor.Run(new ExtractionOptions { Data = TestPaths.CatsVsDogs, Out = Root, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        _defaultHead = new(() => TrainAndEvaluate(Root));
    }

    /// <summary>The default head on these fp32 features, evaluated on the test split: what a reduced precision is compared with (trained once).</summary>
    public Evaluation DefaultHeadOnTest => _defaultHead.Value;

    public string Root => _dir.Sub("cache");

    public ExtractionReport Report { get; }

    public string Split(string name) => Path.Combine(Root, name);

    public void Dispose() => _dir.Dispose();

    /// <summary>Through the entry point, with the CLI's defaults (5-fold cross-validation, then a refit), on the CPU; evaluated on the test split.</summary>
    public static Evaluation TrainAndEvaluate(string root)
    {
        using var classifier = new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu } }.Train(root);
        return classifier.Evaluate(root);
    }
}

[CollectionDefinition(Name)]
public sealed class ResNetCollection : ICollectionFixture<ResNetCache>
{
    public const string Name = "resnet18 features of the shared photos";
}
