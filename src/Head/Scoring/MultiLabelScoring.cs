namespace Pipeline.Head.Scoring;

/// <summary>The multi-label metrics scikit-learn users read: per-label P/R/F1 at thresholds, micro/macro F1, AP and mAP, subset accuracy.</summary>
internal static class MultiLabelScoring
{
    /// <summary>
    /// Runs a multi-label head over the clean row of every image in <paramref name="cache"/>, batch by batch,
    /// keeping the (images, labels) probabilities that ranking (average precision) needs. The caller checked that
    /// the cache is multi-label like the head (<see cref="TrainedHead.CheckCompatible"/>).
    /// </summary>
    public static Evaluation Run(TrainedHead head, FeatureCache cache, int[] clean, float[]? mirroredRows, int batch, EvaluationContext context)
    {
        int k = head.Manifest.Classes.Count, f = cache.FeatureLength;
        var p = new float[(long)clean.Length * k];
        var truth = new byte[(long)clean.Length * k];
        for (int start = 0; start < clean.Length; start += batch)
        {
            int n = Math.Min(batch, clean.Length - start);
            var rows = new float[n * f];
            cache.ReadRows(clean.AsSpan(start, n), rows);
            var mirrored = mirroredRows is null ? [] : mirroredRows.AsSpan(start * f, n * f);
            head.Probabilities(rows, mirrored, n).CopyTo(p.AsSpan(start * k, n * k));
            for (int i = 0; i < n; i++)
            {
                cache.Targets.AsSpan(clean[start + i] * k, k).CopyTo(truth.AsSpan((start + i) * k, k));
            }
        }

        var scored = Score(head.Manifest.Classes, p, truth, clean.Length, head.Manifest.Thresholds!);
        double loss = 0;
        for (long i = 0; i < p.LongLength; i++)
        {
            double q = Math.Clamp(p[i], 1e-12, 1 - 1e-12);
            loss -= truth[i] != 0 ? Math.Log(q) : Math.Log(1 - q);
        }

        return new Evaluation(clean.Length, scored.SubsetAccuracy, loss / Math.Max(p.LongLength, 1), scored.PerLabel, [])
        {
            MultiLabel = scored,
            Context = context,
        };
    }

    /// <summary>Metrics of probabilities <paramref name="p"/> (n, labels) against multi-hot <paramref name="truth"/> (n, labels) at <paramref name="thresholds"/>.</summary>
    public static MultiLabelEvaluation Score(IReadOnlyList<string> labels, ReadOnlySpan<float> p, ReadOnlySpan<byte> truth, int n, IReadOnlyList<double> thresholds)
    {
        int k = labels.Count;
        var perLabel = new List<ClassMetrics>(k);
        var ap = new double[k];
        long tpAll = 0, fpAll = 0, fnAll = 0;
        var wrong = new bool[n];
        var scores = new double[n];
        var has = new bool[n];
        for (int c = 0; c < k; c++)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < n; i++)
            {
                scores[i] = p[(i * k) + c];
                has[i] = truth[(i * k) + c] != 0;
                bool predicted = scores[i] >= thresholds[c];
                tp += predicted && has[i] ? 1 : 0;
                fp += predicted && !has[i] ? 1 : 0;
                fn += !predicted && has[i] ? 1 : 0;
                wrong[i] |= predicted != has[i];
            }

            double precision = tp + fp == 0 ? 0 : (double)tp / (tp + fp), recall = tp + fn == 0 ? 0 : (double)tp / (tp + fn);
            perLabel.Add(new ClassMetrics(labels[c], precision, recall, F1(tp, fp, fn), tp + fn));
            ap[c] = AveragePrecision(scores, has);
            (tpAll, fpAll, fnAll) = (tpAll + tp, fpAll + fp, fnAll + fn);
        }

        int exact = wrong.Count(w => !w);
        var present = ap.Where(double.IsFinite).ToArray();
        return new MultiLabelEvaluation
        {
            PerLabel = perLabel, Thresholds = thresholds.ToArray(), AveragePrecision = ap,
            MicroF1 = F1(tpAll, fpAll, fnAll), MacroF1 = perLabel.Count == 0 ? 0 : perLabel.Average(m => m.F1),
            MeanAveragePrecision = present.Length == 0 ? double.NaN : present.Average(),
            ExactMatches = exact, SubsetAccuracy = n == 0 ? 0 : (double)exact / n,
        };
    }

    /// <summary>
    /// Average precision as scikit-learn's average_precision_score computes it: Σₙ (Rₙ − Rₙ₋₁) Pₙ over the
    /// distinct scores, highest first (tied scores are one threshold); NaN when no row is positive.
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> truth)
    {
        int positives = 0;
        foreach (bool t in truth)
        {
            positives += t ? 1 : 0;
        }

        if (positives == 0)
        {
            return double.NaN;
        }

        var s = scores.ToArray();
        var order = Enumerable.Range(0, s.Length).ToArray();
        Array.Sort(order, (a, b) => s[b].CompareTo(s[a]));
        double sum = 0, lastRecall = 0;
        int tp = 0;
        for (int i = 0; i < order.Length; i++)
        {
            tp += truth[order[i]] ? 1 : 0;
            if (i + 1 < order.Length && s[order[i + 1]] == s[order[i]])
            {
                continue;
            }

            double recall = (double)tp / positives, precision = (double)tp / (i + 1);
            sum += (recall - lastRecall) * precision;
            lastRecall = recall;
        }

        return sum;
    }

    private static double F1(long tp, long fp, long fn) => tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
}
