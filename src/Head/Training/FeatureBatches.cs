using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>
/// Mini-batches gathered from memory-mapped caches (<see cref="FeatureSource"/>): only one batch of
/// features is ever in managed memory, so a cache larger than RAM still trains.
/// </summary>
internal sealed class FeatureBatches(FeatureSource cache, int batch, Device device)
{
    private readonly float[] _buffer = new float[batch * cache.FeatureLength];   // (B, F)
    private readonly long[] _labels = new long[batch];
    private readonly int[] _rows = new int[batch];
    private readonly float[] _targets = cache.MultiLabel ? new float[batch * cache.ClassCount] : [];   // (B, classes) multi-hot

    /// <summary>
    /// Fills the buffers batch by batch in the order of <paramref name="order"/>, yielding the batch
    /// size; the caller makes the tensors inside its own dispose scope with <see cref="Features"/>
    /// and <see cref="Labels"/>.
    /// </summary>
    public IEnumerable<int> Enumerate(IReadOnlyList<int> order)
    {
        int f = cache.FeatureLength;
        for (int start = 0; start < order.Count; start += batch)
        {
            int n = Math.Min(batch, order.Count - start);
            for (int i = 0; i < n; i++)
            {
                _rows[i] = order[start + i];
                _labels[i] = cache.Labels[_rows[i]];
                if (cache.MultiLabel)
                {
                    cache.ReadTargets(_rows[i], _targets.AsSpan(i * cache.ClassCount, cache.ClassCount));
                }
            }

            cache.ReadRows(_rows.AsSpan(0, n), _buffer.AsSpan(0, n * f));
            yield return n;
        }
    }

    /// <summary>The current batch's features, (n, F) float32 on the training device.</summary>
    public Tensor Features(int n) => ToDevice(tensor(_buffer.AsSpan(0, n * cache.FeatureLength).ToArray(), [n, cache.FeatureLength], ScalarType.Float32));

    /// <summary>The current batch's labels, (n,) int64 on the training device; for a multi-label cache its targets, (n, classes) float32.</summary>
    public Tensor Labels(int n) => cache.MultiLabel
        ? ToDevice(tensor(_targets.AsSpan(0, n * cache.ClassCount).ToArray(), [n, cache.ClassCount], ScalarType.Float32))
        : ToDevice(tensor(_labels.AsSpan(0, n).ToArray(), [n], ScalarType.Int64));

    private Tensor ToDevice(Tensor t) => t.device == device ? t : t.to(device);
}
