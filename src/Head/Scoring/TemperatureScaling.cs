namespace Pipeline.Head.Scoring;

/// <summary>
/// Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", 2017) and the expected
/// calibration error. Logits are (n, classes) row-major; probabilities are softmax(logits / T).
/// </summary>
internal static class TemperatureScaling
{
    /// <summary>Confidence bins of the expected calibration error and the reliability diagram (Guo et al. use 15).</summary>
    public const int Bins = 15;

    /// <summary>The temperatures a fit may choose: beyond these the held-out rows are too few or too easy to say more.</summary>
    public const double MinTemperature = 0.05, MaxTemperature = 20;

    /// <summary>
    /// The T that minimises the mean negative log-likelihood of softmax(logits / T). The NLL is convex in
    /// β = 1/T (a log-sum-exp of lines in β minus a line), so a golden-section search over β finds its minimum.
    /// No rows: 1.
    /// </summary>
    public static double FitTemperature(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        if (labels.IsEmpty)
        {
            return 1;
        }

        double lo = 1 / MaxTemperature, hi = 1 / MinTemperature;
        double phi = (Math.Sqrt(5) - 1) / 2;
        double a = hi - (phi * (hi - lo)), b = lo + (phi * (hi - lo));
        double fa = NegativeLogLikelihood(logits, labels, classes, 1 / a), fb = NegativeLogLikelihood(logits, labels, classes, 1 / b);
        for (int i = 0; i < 80 && hi - lo > 1e-6; i++)
        {
            if (fa <= fb)
            {
                (hi, b, fb) = (b, a, fa);
                a = hi - (phi * (hi - lo));
                fa = NegativeLogLikelihood(logits, labels, classes, 1 / a);
            }
            else
            {
                (lo, a, fa) = (a, b, fb);
                b = lo + (phi * (hi - lo));
                fb = NegativeLogLikelihood(logits, labels, classes, 1 / b);
            }
        }

        double beta = (lo + hi) / 2;
        // Keep 1 unless the fit is better: a tie (all rows separable either way) changes nothing.
        return NegativeLogLikelihood(logits, labels, classes, 1 / beta) < NegativeLogLikelihood(logits, labels, classes, 1) ? 1 / beta : 1;
    }

    /// <summary>Mean −log softmax(logits / T)[label], computed stably (max subtracted).</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, double temperature)
    {
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            double max = double.NegativeInfinity;
            foreach (float z in row)
            {
                max = Math.Max(max, z / temperature);
            }

            double exp = 0;
            foreach (float z in row)
            {
                exp += Math.Exp((z / temperature) - max);
            }

            sum += max + Math.Log(exp) - (row[labels[i]] / temperature);
        }

        return sum / labels.Length;
    }

    /// <summary>Softmax(logits / T), (n, classes), in place.</summary>
    public static void Softmax(Span<float> logits, int classes, double temperature)
    {
        for (int start = 0; start + classes <= logits.Length; start += classes)
        {
            var row = logits.Slice(start, classes);
            double max = double.NegativeInfinity;
            foreach (float z in row)
            {
                max = Math.Max(max, z / temperature);
            }

            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                double e = Math.Exp((row[c] / temperature) - max);
                row[c] = (float)e;
                sum += e;
            }

            for (int c = 0; c < classes; c++)
            {
                row[c] = (float)(row[c] / sum);
            }
        }
    }

    /// <summary>Reliability bins (<see cref="ReliabilityTally"/>) of probabilities (n, classes) against their labels.</summary>
    public static IReadOnlyList<ReliabilityBin> Reliability(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        var tally = new ReliabilityTally();
        for (int i = 0; i < labels.Length; i++)
        {
            tally.Add(probabilities.Slice(i * classes, classes), labels[i]);
        }

        return tally.Bins();
    }

    /// <summary>Σ over bins of (rows in the bin / rows) · |accuracy − mean confidence|.</summary>
    public static double ExpectedError(IReadOnlyList<ReliabilityBin> bins)
    {
        long n = bins.Sum(b => (long)b.Count);
        return n == 0 ? 0 : bins.Sum(b => b.Count * Math.Abs(b.Accuracy - b.Confidence)) / n;
    }

    /// <summary>The bin of a confidence in (0, 1]: bin b holds (b/15, (b+1)/15].</summary>
    internal static int Bin(double confidence) => Math.Clamp((int)Math.Ceiling(confidence * Bins) - 1, 0, Bins - 1);
}
