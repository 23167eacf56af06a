using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Pipeline.Bench;

/// <summary>
/// Default head training (the CLI's train: cross-validation with early stopping, then the refit) on synthetic
/// caches made from real ResNet18 rows of the shared photos (<c>pipeline bench cache</c>): the walkthrough's
/// 20,000 photos at 512 features, and 2,000 rows of VGG16's flattened pool5 (25,088 features).
/// </summary>
/// <remarks>
/// In process: libtorch loads from the bench's own output folder, where the build's GLIBCXX fix ran; a
/// generated benchmark project's folder does not get it.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(InProcessMonitoring))]
public class HeadTrainingBenchmarks
{
    private sealed class InProcessMonitoring : ManualConfig
    {
        public InProcessMonitoring() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(0).WithIterationCount(3));
    }

    private string _root = null!;

    public static IEnumerable<Case> Sizes() => [new("20,000 x 512", "16000,4000,512"), new("2,000 x 25,088", "1600,400,25088")];

    [ParamsSource(nameof(Sizes))]
    public Case Cache { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "pipeline-bench-head");
        string real = Path.Combine(_root, "real");
        if (!File.Exists(Path.Combine(real, FeatureCache.ManifestFile)))
        {
            FeatureExtractor.Run(new ExtractionOptions { Data = BenchData.Photos, Out = real, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        }

        var size = Cache.Value.Split(',').Select(int.Parse).ToArray();
        SyntheticCache.Make(real, Path.Combine(_root, Cache.Value), size[0], size[1], size[2], noise: 0.5, seed: 42);
    }

    [Benchmark]
    public int DefaultTrain()
    {
        using var classifier = new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu } }.Train(Path.Combine(_root, Cache.Value));
        return classifier.Options.Epochs;
    }
}
