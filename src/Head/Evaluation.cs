using Pipeline.Extractor.Cache;

namespace Pipeline.Head;

/// <summary>Per-class precision, recall and F1 with the number of true examples.</summary>
public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy, per-class metrics and the confusion matrix (rows: true class, columns: predicted).</summary>
public sealed record Evaluation(int Images, double Accuracy, double Loss, IReadOnlyList<ClassMetrics> PerClass, int[][] Confusion)
{
    /// <summary>Runs the head over every row of the cache, in batches.</summary>
    public static Evaluation Run(TrainedHead head, FeatureCache cache, int batch = 256)
    {
        head.CheckCompatible(cache.Manifest, cache.Directory);
        int k = head.Manifest.Classes.Count, f = cache.FeatureLength;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        var buffer = new float[batch * f];
        var rows = new int[batch];
        double loss = 0;
        for (int start = 0; start < cache.Count; start += batch)
        {
            int n = Math.Min(batch, cache.Count - start);
            for (int i = 0; i < n; i++)
            {
                rows[i] = start + i;
            }

            cache.ReadRows(rows.AsSpan(0, n), buffer.AsSpan(0, n * f));
            var p = head.Probabilities(buffer, n);
            for (int i = 0; i < n; i++)
            {
                var probs = p.AsSpan(i * k, k);
                int truth = cache.Labels[start + i];
                confusion[truth][ArgMax(probs)]++;
                loss -= Math.Log(Math.Max(probs[truth], 1e-12));
            }
        }

        return FromConfusion(head.Manifest.Classes, confusion, loss / Math.Max(cache.Count, 1));
    }

    public static Evaluation FromConfusion(IReadOnlyList<string> classes, int[][] confusion, double loss)
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
        return new Evaluation(total, total == 0 ? 0 : (double)correct / total, loss, perClass, confusion);
    }

    public static int ArgMax(ReadOnlySpan<float> values)
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
