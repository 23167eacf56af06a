using Pipeline.Extractor;

namespace Pipeline.Tests.Support;

/// <summary>
/// The shared photos (train, validation, test) through the real embedded ResNet18, extracted once
/// for every test in the collection (about 40 s on 2 cores).
/// </summary>
public sealed class ResNetCache : IDisposable
{
    private readonly TempDir _dir = new();

    public ResNetCache()
    {
        Report = FeatureExtractor.Run(new ExtractionOptions { Data = TestPaths.CatsVsDogs, Out = Root, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
    }

    public string Root => _dir.Sub("cache");

    public ExtractionReport Report { get; }

    public string Split(string name) => Path.Combine(Root, name);

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ResNetCollection : ICollectionFixture<ResNetCache>
{
    public const string Name = "resnet18 features of the shared photos";
}
