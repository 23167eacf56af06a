namespace Pipeline.Head.Training;

/// <summary>
/// A multi-label head's decision rule: label c is predicted when its sigmoid probability is at least
/// threshold c. Each threshold maximises that label's F1 on held-out probabilities (the cross-validation's
/// out-of-fold ones, or the validation split's), over the candidates the held-out probabilities themselves
/// give (scikit-learn's precision_recall_curve thresholds); 0.5 for a label with no held-out positive.
/// </summary>
internal static class MultiLabelThresholds
{
    /// <summary>The threshold of a label nothing could choose one for: a sigmoid's even odds.</summary>
    public const double Fallback = 0.5;

    public static double[] Default(int labels) => Enumerable.Repeat(Fallback, labels).ToArray();

    /// <summary>Thresholds from held-out <paramref name="logits"/> (rows.Length, classes) of <paramref name="rows"/> against their targets.</summary>
    public static double[] Choose(FeatureSource source, int[] rows, float[] logits)
    {
        int k = source.ClassCount;
        var thresholds = new double[k];
        var p = new double[rows.Length];
        var truth = new bool[rows.Length];
        for (int c = 0; c < k; c++)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                p[i] = Sigmoid(logits[((long)i * k) + c]);
                truth[i] = source.Targets[((long)rows[i] * k) + c] != 0;
            }

            thresholds[c] = BestF1(p, truth);
        }

        return thresholds;
    }

    /// <summary>
    /// The threshold t maximising F1 of "p ≥ t" over the distinct scores (highest first; ties go to the higher t,
    /// which predicts fewer labels); <see cref="Fallback"/> when there is no positive.
    /// </summary>
    internal static double BestF1(ReadOnlySpan<double> scores, ReadOnlySpan<bool> truth)
    {
        int positives = 0;
        foreach (bool t in truth)
        {
            positives += t ? 1 : 0;
        }

        if (positives == 0)
        {
            return Fallback;
        }

        var order = Enumerable.Range(0, scores.Length).ToArray();
        var s = scores.ToArray();
        Array.Sort(order, (a, b) => s[b].CompareTo(s[a]));
        double best = -1, threshold = Fallback;
        int tp = 0, predicted = 0;
        for (int i = 0; i < order.Length; i++)
        {
            tp += truth[order[i]] ? 1 : 0;
            predicted++;
            if (i + 1 < order.Length && s[order[i + 1]] == s[order[i]])
            {
                continue;   // a threshold takes every row with this score
            }

            double f1 = 2.0 * tp / (predicted + positives);
            if (f1 > best)
            {
                (best, threshold) = (f1, s[order[i]]);
            }
        }

        return threshold;
    }

    internal static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
