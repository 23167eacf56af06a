using Pipeline.Extractor;
using Pipeline.Extractor.Cache;

namespace Pipeline.Head.Composition;

/// <summary>One file's prediction: the top classes with probabilities, or why it was skipped.</summary>
public sealed record Prediction(string File, IReadOnlyList<(string Class, double Probability)> Top, string? Skipped);

/// <summary>New images → the head's backbone and preprocessing → the head → class probabilities.</summary>
public sealed class Predictor : IDisposable
{
    private readonly TrainedHead _head;
    private readonly Backbone _backbone;

    public Predictor(TrainedHead head, BackboneSpec spec, Action<string>? info = null)
    {
        _head = head;
        var m = head.Manifest;
        _backbone = Backbone.Load(spec with { Backbone = spec.Backbone.Length > 0 ? spec.Backbone : m.Backbone.Name, Resize = m.Preprocessing.Resize, Expected = m.Preprocessing, Precision = PrecisionOf(m.Backbone) }, info);
        if (_backbone.Space.Mismatch(m.Space, FeatureAspects.Model) is { } difference)
        {
            string file = _backbone.Info.File;
            _backbone.Dispose();
            throw new FeatureSpaceMismatchException(MismatchSite.HeadAndBackbone, $"backbone file '{file}'", $"the head's backbone ({m.Backbone.File})", difference);
        }
    }

    public Backbone Backbone => _backbone;

    /// <summary>Expands folders (recursively) into their image files, sorted.</summary>
    public static List<string> ExpandPaths(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                files.AddRange(Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Where(ImageFolder.IsImageFile).Order(StringComparer.Ordinal));
            }
            else
            {
                files.Add(p);
            }
        }

        return files;
    }

    /// <summary>
    /// Probabilities (files, classes) in file order, and skip reasons. With <paramref name="ttaFlip"/>,
    /// each image's probabilities are averaged with its horizontal mirror's.
    /// </summary>
    public (float[] Probabilities, string?[] Skipped) Probabilities(IReadOnlyList<string> files, int batch = 32, bool ttaFlip = false)
    {
        if (files.Count == 0)
        {
            return ([], []);
        }

        var (features, skipped) = ImageFeaturizer.Run(_backbone, files, batch);
        var probs = _head.Probabilities(features, files.Count);
        if (ttaFlip)
        {
            var (mirrored, _) = ImageFeaturizer.Run(_backbone, files, batch, mirror: true);
            var pm = _head.Probabilities(mirrored, files.Count);
            for (int i = 0; i < probs.Length; i++)
            {
                probs[i] = (probs[i] + pm[i]) / 2;
            }
        }

        return (probs, skipped);
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> files, int top, int batch = 32, bool ttaFlip = false)
    {
        var (probs, skipped) = Probabilities(files, batch, ttaFlip);
        var classes = _head.Manifest.Classes;
        int k = classes.Count;
        return files.Select((file, i) => skipped[i] is { } reason
            ? new Prediction(file, [], reason)
            : new Prediction(file, Enumerable.Range(0, k).OrderByDescending(c => probs[i * k + c]).Take(top)
                .Select(c => (classes[c], (double)probs[i * k + c])).ToList(), null)).ToList();
    }

    public void Dispose() => _backbone.Dispose();

    /// <summary>The precision the head's features were computed in: its backbone runs the same way.</summary>
    internal static Precision PrecisionOf(BackboneInfo backbone) => backbone.Precision ?? Precision.Fp32;
}
