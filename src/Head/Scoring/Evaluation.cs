namespace Pipeline;

/// <summary>Per-class precision, recall and F1 with the number of true examples.</summary>
public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>A misclassified image: its path in the cache, its true and predicted class, and the head's probabilities for both.</summary>
public sealed record Mistake(string Path, string True, string Predicted, double Confidence, double TrueProbability);

/// <summary>Accuracy, per-class metrics and the confusion matrix (rows: true class, columns: predicted).</summary>
public sealed record Evaluation(int Images, double Accuracy, double Loss, IReadOnlyList<ClassMetrics> PerClass, IReadOnlyList<IReadOnlyList<int>> Confusion)
{
    /// <summary>What the report names: the head, the cache, its image folder, backbone and preprocessing; null when not from a cache.</summary>
    internal EvaluationContext? Context { get; init; }

    /// <summary>Every misclassified image, worst first (the lowest probability for its true class).</summary>
    public IReadOnlyList<Mistake> Mistakes { get; init; } = [];

    /// <summary>How well the probabilities match the accuracy, before and after the head's temperature; null where not measured.</summary>
    public CalibrationReport? Calibration { get; init; }

    /// <summary>
    /// A multi-label head's scores (per-label precision/recall/F1 at its thresholds, micro/macro F1, mAP); null for a
    /// single-label head. Then <see cref="Accuracy"/> is the subset accuracy, <see cref="Loss"/> the mean binary
    /// cross-entropy, <see cref="PerClass"/> the per-label metrics and <see cref="Confusion"/> empty.
    /// </summary>
    public MultiLabelEvaluation? MultiLabel { get; init; }

    /// <summary>The mean of the per-class recalls over the classes present: accuracy as if every class had as many images.</summary>
    public double BalancedAccuracy => PerClass.Any(c => c.Support > 0) ? PerClass.Where(c => c.Support > 0).Average(c => c.Recall) : 0;

    /// <summary>Images classified correctly.</summary>
    public int Correct => MultiLabel?.ExactMatches ?? Enumerable.Range(0, Confusion.Count).Sum(i => Confusion[i][i]);

    /// <summary>95 % Wilson interval of the accuracy, lower bound.</summary>
    public double AccuracyLow => Wilson.Interval(Correct, Images).Low;

    /// <summary>95 % Wilson interval of the accuracy, upper bound.</summary>
    public double AccuracyHigh => Wilson.Interval(Correct, Images).High;

    /// <summary>
    /// Writes <paramref name="dir"/>/index.html (what <c>evaluate --report</c> writes): one self-contained page with the
    /// accuracy and its interval, the confusion matrix, per-class precision/recall/F1 and a thumbnail of every
    /// misclassified image (read from the folder the cache was extracted from), worst first.
    /// </summary>
    /// <param name="dir">The report's folder (created).</param>
    /// <returns>The page's path.</returns>
    public string WriteReport(string dir) => EvaluationReport.Write(dir, this, Context ?? new EvaluationContext("head", "features", null, "unknown", "unknown"));

    /// <summary>
    /// Runs the head over the clean row of every image in the cache, in batches; with
    /// <paramref name="ttaFlip"/>, averages each image's probabilities with its cached mirror's.
    /// </summary>
    internal static Evaluation Run(TrainedHead head, FeatureCache cache, bool ttaFlip = false, int batch = 256, string headName = "head")
    {
        head.CheckCompatible(cache.Manifest, cache.Directory);
        var clean = HeadTrainer.CleanRows(cache);
        var mirrors = ttaFlip ? MirrorRows(cache, clean) : null;
        if (head.Manifest.MultiLabel == true)
        {
            var mirrored = mirrors is null ? null : Rows(cache, mirrors);
            return MultiLabelScoring.Run(head, cache, clean, mirrored, batch,
                new EvaluationContext(headName, cache.Directory, cache.Manifest.Source, cache.Manifest.Backbone.Describe(), cache.Manifest.Preprocessing.Describe()));
        }

        int k = head.Manifest.Classes.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        double loss = 0, lossBefore = 0;
        var mistakes = new List<Mistake>();
        var classes = head.Manifest.Classes;
        double temperature = head.Manifest.Temperature;
        ReliabilityTally before = new(), after = new();
        for (int start = 0; start < clean.Length; start += batch)
        {
            int n = Math.Min(batch, clean.Length - start);
            var rows = Rows(cache, clean.AsSpan(start, n));
            var mirrored = mirrors is null ? [] : Rows(cache, mirrors.AsSpan(start, n));
            var p = head.Probabilities(rows, mirrored, n, temperature);                   // (n, classes): what the head reports
            var raw = temperature == 1 ? p : head.Probabilities(rows, mirrored, n, 1);   // (n, classes): softmax(logits)

            for (int i = 0; i < n; i++)
            {
                var probs = p.AsSpan(i * k, k);
                int truth = cache.Labels[clean[start + i]];
                after.Add(probs, truth);
                before.Add(raw.AsSpan(i * k, k), truth);
                lossBefore -= Math.Log(Math.Max(raw[(i * k) + truth], 1e-12));
                int predicted = ArgMax(probs);
                confusion[truth][predicted]++;
                loss -= Math.Log(Math.Max(probs[truth], 1e-12));
                if (predicted != truth)
                {
                    mistakes.Add(new Mistake(cache.Manifest.Items[clean[start + i]].Path, classes[truth], classes[predicted], probs[predicted], probs[truth]));
                }
            }
        }

        return FromConfusion(classes, confusion, loss / Math.Max(clean.Length, 1)) with
        {
            Mistakes = mistakes.OrderBy(m => m.TrueProbability).ThenBy(m => m.Path, StringComparer.Ordinal).ToList(),
            Calibration = new CalibrationReport
            {
                Temperature = temperature, ErrorBefore = TemperatureScaling.ExpectedError(before.Bins()), ErrorAfter = TemperatureScaling.ExpectedError(after.Bins()),
                LossBefore = lossBefore / Math.Max(clean.Length, 1), BinsBefore = before.Bins(), BinsAfter = after.Bins(),
            },
            Context = new EvaluationContext(headName, cache.Directory, cache.Manifest.Source, cache.Manifest.Backbone.Describe(), cache.Manifest.Preprocessing.Describe()),
        };
    }

    private static float[] Rows(FeatureCache cache, ReadOnlySpan<int> rows)
    {
        var buffer = new float[rows.Length * cache.FeatureLength];
        cache.ReadRows(rows, buffer);
        return buffer;
    }

    /// <summary>The mirror row of each clean row; the cache must hold them (extract --tta flip).</summary>
    private static int[] MirrorRows(FeatureCache cache, int[] clean)
    {
        var mirror = cache.Manifest.Items.Select((item, row) => (item, row)).Where(x => x.item.Kind == RowKind.Mirror)
            .ToDictionary(x => x.item.Path, x => x.row, StringComparer.Ordinal);
        if (mirror.Count == 0)
        {
            throw new CacheException(cache.Directory, "holds no mirrored views for test-time flips",
                "extract it again with test-time flips, which caches each validation/test image's mirror too");
        }

        return clean.Select(r => mirror.TryGetValue(cache.Manifest.Items[r].Path, out int m) ? m : r).ToArray();
    }

    internal static Evaluation FromConfusion(IReadOnlyList<string> classes, int[][] confusion, double loss)
    {
        int k = classes.Count;
        int total = confusion.Sum(r => r.Sum());
        int correct = Enumerable.Range(0, k).Sum(i => confusion[i][i]);
        var perClass = Enumerable.Range(0, k).Select(c =>
        {
            int tp = confusion[c][c];
            int predicted = Enumerable.Range(0, k).Sum(r => confusion[r][c]);
            int actual = confusion[c].Sum();
            double precision = predicted == 0 ? 0 : (double)tp / predicted;
            double recall = actual == 0 ? 0 : (double)tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new ClassMetrics(classes[c], precision, recall, f1, actual);
        }).ToList();
        return new Evaluation(total, total == 0 ? 0 : (double)correct / total, loss, perClass, confusion.Select(r => (IReadOnlyList<int>)Array.AsReadOnly(r)).ToList().AsReadOnly());
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
