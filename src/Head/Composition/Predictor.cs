namespace Pipeline.Head.Composition;

/// <summary>One image's prediction: the classes most likely first with their probabilities, or why it was skipped.</summary>
/// <param name="File">The file, or the name given to an image in memory.</param>
/// <param name="Top">The most likely classes, most likely first, with their probabilities.</param>
/// <param name="Skipped">Why the image could not be read or decoded; null when it was classified.</param>
public sealed record Prediction(string File, IReadOnlyList<(string Class, double Probability)> Top, string? Skipped)
{
    /// <summary>The most likely class; null when the image was skipped.</summary>
    public string? Label => Top.Count > 0 ? Top[0].Class : null;

    /// <summary>Its probability; 0 when the image was skipped.</summary>
    public double Probability => Top.Count > 0 ? Top[0].Probability : 0;
}

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
    public static List<string> ExpandPaths(IEnumerable<string> paths) =>
        paths.SelectMany(p => Directory.Exists(p) ? ImageFolder.FilesBelow(p).Where(ImageFolder.IsImageFile) : [p]).ToList();

    /// <summary>
    /// Probabilities (images, classes) in input order, and skip reasons. Each image is a file, or encoded bytes
    /// in memory where <paramref name="encoded"/> gives them. With <paramref name="ttaFlip"/>, each image's
    /// probabilities are averaged with its horizontal mirror's.
    /// </summary>
    public (float[] Probabilities, string?[] Skipped) Probabilities(IReadOnlyList<string> files, int batch = 32, bool ttaFlip = false, IReadOnlyList<byte[]>? encoded = null)
    {
        if (files.Count == 0)
        {
            return ([], []);
        }

        var (features, skipped) = ImageFeaturizer.Run(_backbone, files, batch, encoded: encoded);
        float[] mirrored = ttaFlip ? ImageFeaturizer.Run(_backbone, files, batch, mirror: true, encoded: encoded).Features : [];
        return (_head.Probabilities(features, mirrored, files.Count), skipped);
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> files, int top, int batch = 32, bool ttaFlip = false, IReadOnlyList<byte[]>? encoded = null)
    {
        var (probs, skipped) = Probabilities(files, batch, ttaFlip, encoded);
        var classes = _head.Manifest.Classes;
        int k = classes.Count;
        return files.Select((file, i) => skipped[i] is { } reason
            ? new Prediction(file, [], reason)
            : new Prediction(file, Enumerable.Range(0, k).OrderByDescending(c => probs[i * k + c]).Take(top)
                .Select(c => (classes[c], (double)probs[i * k + c])).ToList(), null)).ToList();
    }

    public void Dispose() => _backbone.Dispose();
}
