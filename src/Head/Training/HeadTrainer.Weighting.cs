using TorchSharp;

namespace Pipeline.Head.Training;

internal static partial class HeadTrainer
{
    /// <summary>
    /// Loss weight per class (classes), or null when every class weighs 1. Balanced: n / (classes · n_c) over the
    /// images in <paramref name="views"/> (one count per image, whatever its views), as scikit-learn's
    /// <c>compute_class_weight("balanced")</c>; a class with no image there weighs 1. Explicit: the named weights.
    /// </summary>
    /// <exception cref="InvalidSettingException">A weight names a class the features do not have.</exception>
    internal static float[]? ClassWeights(FeatureSource source, int[][] views, HeadOptions options)
    {
        int k = source.ClassCount;
        if (options.BalancedClassWeights)
        {
            var counts = new long[k];
            foreach (var image in views)
            {
                counts[source.Labels[image[0]]]++;
            }

            long n = counts.Sum();
            return counts.Select(c => c == 0 ? 1f : (float)((double)n / (k * c))).ToArray();
        }

        if (options.ClassWeights is not { Count: > 0 } named)
        {
            return null;
        }

        var weights = Enumerable.Repeat(1f, k).ToArray();
        foreach (var (name, weight) in named)
        {
            int c = IndexOfClass(source.Classes, name);
            weights[c] = (float)weight;
        }

        return weights;
    }

    /// <summary>Refuses class weights that name a class these features do not have (before any work starts).</summary>
    internal static void CheckClassWeights(IReadOnlyList<string> classes, HeadOptions options)
    {
        foreach (string name in options.ClassWeights?.Keys ?? Enumerable.Empty<string>())
        {
            _ = IndexOfClass(classes, name);
        }
    }

    private static int IndexOfClass(IReadOnlyList<string> classes, string name)
    {
        for (int c = 0; c < classes.Count; c++)
        {
            if (string.Equals(classes[c], name, StringComparison.Ordinal))
            {
                return c;
            }
        }

        throw new InvalidSettingException("class-weight", name, $"one of the classes ({string.Join(", ", classes)})");
    }

    /// <summary>
    /// The temperature of <paramref name="options"/>' head, fitted on held-out logits (rows, classes) and their
    /// labels; 1 when calibration is off or nothing was held out.
    /// </summary>
    internal static double Temperature(HeadOptions options, float[] logits, int[] labels, int classes) =>
        options.Calibrate && labels.Length > 0 ? TemperatureScaling.FitTemperature(logits, labels, classes) : 1;

    /// <summary>
    /// The temperature for a head refitted on every image after cross-validation: fitted on the fold heads'
    /// out-of-fold logits, and taken only when it lowers their log-loss by more than <paramref name="lossStdErr"/>,
    /// the held-out loss's standard error. The refit is another model than the fold heads (more images, its own
    /// weights), so a gain within the folds' noise is no evidence that the refit needs it: on the shared photos the
    /// folds fitted T ≈ 0.75–0.8 (sharpen), which made the refit's test calibration worse (docs/labels.md).
    /// </summary>
    internal static HeldOutCalibration HeldOutTemperature(HeadOptions options, float[] logits, int[] labels, int classes, double lossStdErr)
    {
        double fitted = Temperature(options, logits, labels, classes);
        if (fitted == 1)
        {
            return HeldOutCalibration.Off;
        }

        double gain = TemperatureScaling.NegativeLogLikelihood(logits, labels, classes, 1) - TemperatureScaling.NegativeLogLikelihood(logits, labels, classes, fitted);
        return new HeldOutCalibration(gain > lossStdErr ? fitted : 1, fitted, gain);
    }

    /// <summary>Expected calibration error of softmax(logits / T) (rows, classes) against the labels.</summary>
    internal static double CalibrationError(float[] logits, int[] labels, int classes, double temperature)
    {
        var p = (float[])logits.Clone();
        TemperatureScaling.Softmax(p, classes, temperature);
        return TemperatureScaling.ExpectedError(TemperatureScaling.Reliability(p, labels, classes));
    }

    /// <summary>Logits (rows, classes) of <paramref name="model"/> on the given rows, read from the memory map in batches.</summary>
    internal static float[] Logits(DenseHead model, FeatureSource source, int[] rows, int batch = 1024)
    {
        int f = source.FeatureLength, k = source.ClassCount;
        var result = new float[(long)rows.Length * k];
        for (int start = 0; start < rows.Length; start += batch)
        {
            using var scope = torch.NewDisposeScope();
            int n = Math.Min(batch, rows.Length - start);
            var x = new float[n * f];
            source.ReadRows(rows.AsSpan(start, n), x);
            var z = model.Logits(x, n).cpu().data<float>().ToArray();
            Array.Copy(z, 0, result, (long)start * k, z.LongLength);
        }

        return result;
    }
}
