using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Pipeline.Bench;

/// <summary>The whole extraction path over 64 real photos with ResNet18 (decode overlapped with inference), batch 32.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ExtractionBenchmarks
{
    private Backbone _backbone = null!;
    private IReadOnlyList<string> _files = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backbone = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Cpu });
        _files = BenchData.TrainPhotos(64);
    }

    [GlobalCleanup]
    public void Cleanup() => _backbone.Dispose();

    [Benchmark]
    public float EndToEnd64Images() => ImageFeaturizer.Run(_backbone, _files, batch: 32).Features[0];
}
