namespace Pipeline.Head.Inference;

/// <summary>New images → the head's backbone and preprocessing (<see cref="HeadBackbone"/>) → the head → class probabilities.</summary>
internal sealed class Predictor : IDisposable
{
    private readonly TrainedHead _head;
    private readonly Backbone _backbone;

    public Predictor(TrainedHead head, BackboneSpec spec, Action<string>? info = null)
    {
        _head = head;
        _backbone = Backbone.Load(spec, info);
        try
        {
            HeadBackbone.Check(head.Manifest, _backbone.Space, _backbone.Info.File);
        }
        catch
        {
            _backbone.Dispose();
            throw;
        }
    }

    public Backbone Backbone => _backbone;

    /// <summary>Expands folders (recursively, through the dataset walker: hidden files and link loops skipped) into their image files.</summary>
    public static List<string> ExpandPaths(IEnumerable<string> paths) => ExpandLazily(paths).ToList();

    /// <summary>As <see cref="ExpandPaths"/>, one file at a time, for a folder too big to list at once.</summary>
    public static IEnumerable<string> ExpandLazily(IEnumerable<string> paths) =>
        paths.SelectMany(p => Directory.Exists(p) ? ImageFolder.FilesBelow(p).Where(ImageFolder.IsImageFile) : [p]);

    /// <summary>Most feature rows held at once by this predictor (images and mirrors): bounded by the chunk, whatever the number of files.</summary>
    internal long PeakRowsHeld { get; private set; }

    /// <summary>
    /// Probabilities (images, classes) in input order, and skip reasons. Each image is a file, or encoded bytes
    /// in memory where <paramref name="encoded"/> gives them. With <paramref name="ttaFlip"/>, each image's
    /// probabilities are averaged with its horizontal mirror's. Holds (images, classes) floats; the features
    /// themselves stream chunk by chunk.
    /// </summary>
    public (float[] Probabilities, string?[] Skipped) Probabilities(IReadOnlyList<string> files, int batch = 32, bool ttaFlip = false, IReadOnlyList<byte[]>? encoded = null)
    {
        int k = _head.Manifest.Classes.Count;
        var probs = new float[(long)files.Count * k];
        var skipped = new string?[files.Count];
        Stream(files, batch, ttaFlip, encoded, (start, count, p, skips) =>
        {
            p.CopyTo(probs.AsSpan(start * k, count * k));
            skips.CopyTo(skipped.AsSpan(start, count));
        });
        return (probs, skipped);
    }

    private delegate void ChunkProbabilities(int start, int count, ReadOnlySpan<float> probabilities, ReadOnlySpan<string?> skipped);

    /// <summary>Features of one chunk of files at a time (see <see cref="ImageFeaturizer.Stream"/>) → the head's (count, classes) probabilities.</summary>
    private void Stream(IReadOnlyList<string> files, int batch, bool ttaFlip, IReadOnlyList<byte[]>? encoded, ChunkProbabilities handle)
    {
        ImageFeaturizer.Stream(_backbone, files, batch, workers: 0, mirror: false, ttaFlip, encoded, (start, count, features, mirrored, skipped) =>
        {
            PeakRowsHeld = Math.Max(PeakRowsHeld, (features.Length + mirrored.Length) / Math.Max(1, _backbone.FeatureLength));
            var p = _head.Probabilities(features, mirrored, count);
            handle(start, count, p, skipped.ToArray());
        });
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> files, int top, int batch = 32, bool ttaFlip = false, IReadOnlyList<byte[]>? encoded = null)
    {
        var all = new List<Prediction>(files.Count);
        Predict(files, top, all.Add, batch, ttaFlip, encoded);
        return all;
    }

    /// <summary>Classifies <paramref name="files"/> chunk by chunk, handing each prediction to <paramref name="each"/> in file order as its chunk completes.</summary>
    public void Predict(IReadOnlyList<string> files, int top, Action<Prediction> each, int batch = 32, bool ttaFlip = false, IReadOnlyList<byte[]>? encoded = null)
    {
        var classes = _head.Manifest.Classes;
        var thresholds = _head.Manifest.MultiLabel == true ? _head.Manifest.Thresholds : null;
        int k = classes.Count;
        Stream(files, batch, ttaFlip, encoded, (start, count, probs, skipped) =>
        {
            for (int i = 0; i < count; i++)
            {
                var p = probs.Slice(i * k, k).ToArray();
                each(skipped[i] is { } reason
                    ? new Prediction(files[start + i], [], reason)
                    : new Prediction(files[start + i], Enumerable.Range(0, k).OrderByDescending(c => p[c]).Take(top).Select(c => (classes[c], (double)p[c])).ToList(), null)
                    {
                        Labels = thresholds is null ? [] : Enumerable.Range(0, k).Where(c => p[c] >= thresholds[c]).Select(c => classes[c]).ToList(),
                    });
            }
        });
    }

    /// <summary>
    /// Classifies <paramref name="files"/> lazily: each chunk of <see cref="ImageFeaturizer.ChunkBatches"/> batches
    /// runs when the caller has read the one before, so memory is bounded by the chunk whatever the number of files.
    /// </summary>
    public IEnumerable<Prediction> PredictEach(IEnumerable<string> files, int top, int batch = 32, bool ttaFlip = false)
    {
        int chunk = Math.Max(1, batch) * ImageFeaturizer.ChunkBatches;
        foreach (var part in files.Chunk(chunk))
        {
            var predictions = new List<Prediction>(part.Length);
            Predict(part, top, predictions.Add, batch, ttaFlip);
            foreach (var p in predictions)
            {
                yield return p;
            }
        }
    }

    public void Dispose() => _backbone.Dispose();
}
