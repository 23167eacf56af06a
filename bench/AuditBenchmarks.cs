using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Pipeline.Head.Auditing;

namespace Pipeline.Bench;

/// <summary>
/// The audit's geometry over 25,000 images × 512 features: every pair's cosine similarity in (1,024, N) blocks
/// (never an N × N matrix), the near-duplicate groups, and the distance of each image to the nearest class centre.
/// Rows: Gaussian, two classes, with 1 % planted near-copies.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessMonitoring))]
public class AuditBenchmarks
{
    private float[] _rows = null!;
    private AuditItem[] _items = null!;
    private int[] _labels = null!;

    [Params(25_000)]
    public int Images { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int f = 512;
        var rng = new Random(1);
        _rows = new float[Images * f];
        _labels = new int[Images];
        for (int i = 0; i < Images; i++)
        {
            _labels[i] = i % 2;
            for (int j = 0; j < f; j++)
            {
                _rows[(i * f) + j] = i % 100 == 99 ? _rows[((i - 1) * f) + j] + (0.01f * (float)rng.NextDouble()) : (float)rng.NextDouble() + (_labels[i] * (j % 7 == 0 ? 0.5f : 0f));
            }
        }

        _items = Enumerable.Range(0, Images).Select(i => new AuditItem(i % 10 == 0 ? "test" : "train", $"{i}.jpg")).ToArray();
    }

    [Benchmark]
    public int DuplicatesAndOutliers() => DatasetAudit.Geometry(_rows, Images, 512, _items, _labels, 2).Duplicates.Count;

    private sealed class InProcessMonitoring : ManualConfig
    {
        public InProcessMonitoring() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3));
    }
}
