using Pipeline.Extractor.Images;

namespace Pipeline.Extractor.Extraction;

/// <summary>Features of arbitrary image files (for prediction): no cache, same decode and preprocessing path.</summary>
internal static class ImageFeaturizer
{
    /// <summary>
    /// Runs <paramref name="files"/> through <paramref name="backbone"/>: returns (files, F) features in
    /// file order, and for each file null or the reason it was skipped (its row is then zeros).
    /// </summary>
    /// <param name="mirror">Run the horizontal mirror of each image instead (test-time flips).</param>
    /// <param name="encoded">Encoded images in memory, one per entry of <paramref name="files"/> (which then only names them).</param>
    public static (float[] Features, string?[] Skipped) Run(Backbone backbone, IReadOnlyList<string> files, int batch = 32, int workers = 0, bool mirror = false, IReadOnlyList<byte[]>? encoded = null)
    {
        int f = backbone.FeatureLength;
        if ((long)files.Count * f > Array.MaxLength)
        {
            Platform.Throw.InvalidSetting("images", files.Count, $"at most {Array.MaxLength / f} images at once for this backbone's {f:N0} features each");
        }

        var features = new float[(long)files.Count * f];
        var skipped = new string?[files.Count];
        var pipeline = new ExtractionPipeline(backbone, batch, workers > 0 ? workers : FeatureExtractor.DefaultWorkers(backbone), Images.ImageDecoder.DefaultMaxPixels);
        ViewTransform? view = mirror ? ViewTransform.Mirror(backbone.Preprocessing.Width) : null;
        pipeline.Run(files.Select((file, i) => new WorkItem(i, file, view, encoded?[i])).ToList(), (states, rows) =>
        {
            for (int i = 0; i < states.Count; i++)
            {
                skipped[states[i].Row] = states[i].Skip;
                if (states[i].Skip is null)
                {
                    rows.Slice(i * f, f).CopyTo(features.AsSpan(states[i].Row * f, f));   // Row * f < files.Count * f, checked above
                }
            }
        });
        return (features, skipped);
    }
}
