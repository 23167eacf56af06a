using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>
/// The rows a head trains on, as mini-batches on the training device. When they fit (at most
/// <see cref="MaxResidentBytes"/>), every row is read from the memory map once and held as one (N, F) tensor,
/// and a batch is an <c>index_select</c> of it: no copy through managed memory per batch. Larger caches stream
/// a batch at a time from the memory map (<see cref="FeatureBatches"/>), so a cache larger than RAM still trains.
/// </summary>
internal sealed class FeatureRows : IDisposable
{
    /// <summary>
    /// A quarter of the memory this process may use, at most 4 GiB: on a 24 GB machine 20,000 × 25,088 float32
    /// rows (2 GB) stay resident; on a small container they stream.
    /// </summary>
    public static long MaxResidentBytes { get; } = Math.Min(4L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    private readonly Tensor? _features;   // (N, F) float32 on the device, or null when streaming
    private readonly Tensor? _labels;     // (N,) int64 on the device; multi-label: (N, classes) float32 multi-hot
    private readonly FeatureBatches _streamed;
    private readonly Device _device;

    public FeatureRows(FeatureSource source, int batch, Device device)
    {
        _device = device;
        _streamed = new FeatureBatches(source, batch, device);
        int n = source.Labels.Length, f = source.FeatureLength;
        if ((long)n * f * sizeof(float) <= MaxResidentBytes)
        {
            var all = new float[(long)n * f];
            source.ReadRows(Enumerable.Range(0, n).ToArray(), all);
            using var scope = torch.NewDisposeScope();
            _features = tensor(all, [n, f], ScalarType.Float32).to(device).DetachFromDisposeScope();
            _labels = source.MultiLabel
                ? tensor(source.Targets.Select(t => (float)t).ToArray(), [n, source.ClassCount], ScalarType.Float32).to(device).DetachFromDisposeScope()
                : tensor(source.Labels.Select(l => (long)l).ToArray(), [n], ScalarType.Int64).to(device).DetachFromDisposeScope();
        }

        Batch = batch;
    }

    public int Batch { get; }

    /// <summary>True when every row is held on the device as one tensor.</summary>
    public bool Resident => _features is not null;

    /// <summary>
    /// Batches of <paramref name="order"/>, in order: (features (n, F), labels (n,)) made in the caller's
    /// dispose scope, which must be open around each one.
    /// </summary>
    public IEnumerable<Func<(Tensor X, Tensor Y)>> Batches(int[] order)
    {
        if (_features is null)
        {
            foreach (int n in _streamed.Enumerate(order))
            {
                yield return () => (_streamed.Features(n), _streamed.Labels(n));
            }

            yield break;
        }

        for (int start = 0; start < order.Length; start += Batch)
        {
            int s = start, n = Math.Min(Batch, order.Length - start);
            yield return () =>
            {
                var index = tensor(order.AsSpan(s, n).ToArray().Select(r => (long)r).ToArray(), [n], ScalarType.Int64).to(_device);
                return (_features.index_select(0, index), _labels!.index_select(0, index));
            };
        }
    }

    public void Dispose()
    {
        _features?.Dispose();
        _labels?.Dispose();
    }
}
