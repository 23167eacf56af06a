namespace Pipeline.Extractor.Extraction;

/// <summary>
/// Features of arbitrary image files (for prediction): no cache, same decode and preprocessing path. Files
/// run in chunks of <see cref="ChunkBatches"/> batches, so what is held is one chunk's features whatever the
/// number of files.
/// </summary>
internal static class ImageFeaturizer
{
    /// <summary>Batches per chunk: enough for the ring of batch buffers to keep decoding ahead of inference.</summary>
    public const int ChunkBatches = 8;

    /// <summary>One chunk of features: its first file's index, (count, F) features and, per file, null or why it was skipped (its row is then zeros).</summary>
    public delegate void ChunkHandler(int start, int count, ReadOnlySpan<float> features, ReadOnlySpan<float> mirrored, IReadOnlyList<string?> skipped);

    /// <summary>
    /// Runs <paramref name="files"/> through <paramref name="backbone"/>: returns (files, F) features in
    /// file order, and for each file null or the reason it was skipped (its row is then zeros). Holds all
    /// rows: for a few files; <see cref="Stream"/> for any number.
    /// </summary>
    /// <param name="mirror">Run the horizontal mirror of each image instead (test-time flips).</param>
    /// <param name="encoded">Encoded images in memory, one per entry of <paramref name="files"/> (which then only names them).</param>
    public static (float[] Features, string?[] Skipped) Run(Backbone backbone, IReadOnlyList<string> files, int batch = 32, int workers = 0, bool mirror = false, IReadOnlyList<byte[]>? encoded = null)
    {
        int f = backbone.FeatureLength;
        var features = new float[checked((long)files.Count * f)];
        var skipped = new string?[files.Count];
        Stream(backbone, files, batch, workers, mirror, ttaFlip: false, encoded, (start, count, rows, _, skips) =>
        {
            rows.CopyTo(features.AsSpan(start * f, count * f));
            for (int i = 0; i < count; i++)
            {
                skipped[start + i] = skips[i];
            }
        });
        return (features, skipped);
    }

    /// <summary>
    /// Runs <paramref name="files"/> through <paramref name="backbone"/> chunk by chunk, in file order, handing each
    /// chunk's (count, F) features to <paramref name="handle"/>; at most <paramref name="batch"/> × <see cref="ChunkBatches"/>
    /// rows (twice that with <paramref name="ttaFlip"/>) are held at once.
    /// </summary>
    /// <param name="mirror">Run the horizontal mirror of each image instead.</param>
    /// <param name="ttaFlip">Also run each image's mirror; the handler gets both (else an empty <c>mirrored</c>).</param>
    public static void Stream(Backbone backbone, IReadOnlyList<string> files, int batch, int workers, bool mirror, bool ttaFlip, IReadOnlyList<byte[]>? encoded, ChunkHandler handle)
    {
        int f = backbone.FeatureLength;
        int chunk = Math.Max(1, batch) * ChunkBatches;
        int held = Math.Min(chunk, files.Count);
        var features = new float[(long)held * f];
        var mirrored = ttaFlip ? new float[(long)held * f] : [];
        var skipped = new string?[held];
        var pipeline = new ExtractionPipeline(backbone, batch, workers > 0 ? workers : FeatureExtractor.DefaultWorkers(backbone), Images.ImageDecoder.DefaultMaxPixels);
        int width = backbone.Preprocessing.Width;
        ViewTransform? view = mirror ? ViewTransform.Mirror(width) : null;
        ViewTransform? flip = ttaFlip ? ViewTransform.Mirror(width) : null;
        for (int start = 0; start < files.Count; start += chunk)
        {
            int count = Math.Min(chunk, files.Count - start);
            // Rows 0..count-1: the images; with flips, rows count..2·count-1: their mirrors.
            var work = new List<WorkItem>(ttaFlip ? 2 * count : count);
            for (int i = 0; i < count; i++)
            {
                work.Add(new WorkItem(i, files[start + i], view, encoded?[start + i]));
            }

            for (int i = 0; ttaFlip && i < count; i++)
            {
                work.Add(new WorkItem(count + i, files[start + i], flip, encoded?[start + i]));
            }

            Array.Clear(features);
            Array.Clear(mirrored);
            Array.Clear(skipped);
            pipeline.Run(work, (states, rows) =>
            {
                for (int i = 0; i < states.Count; i++)
                {
                    int row = states[i].Row;
                    bool isMirror = row >= count;
                    int r = isMirror ? row - count : row;
                    if (states[i].Skip is { } reason)
                    {
                        skipped[r] ??= reason;
                    }
                    else
                    {
                        rows.Slice(i * f, f).CopyTo((isMirror ? mirrored : features).AsSpan(r * f, f));
                    }
                }
            });
            handle(start, count, features.AsSpan(0, count * f), ttaFlip ? mirrored.AsSpan(0, count * f) : [], new ArraySegment<string?>(skipped, 0, count));
        }
    }
}
