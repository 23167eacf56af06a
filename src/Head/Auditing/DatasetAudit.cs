using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Auditing;

/// <summary>
/// Audits a cached dataset from its features alone, in seconds: label suspects from out-of-fold predictions
/// (confident learning's per-class thresholds), near-duplicate groups over all splits (leaks between splits
/// flagged), and outliers far from every class. Nothing is decoded again.
/// </summary>
internal static class DatasetAudit
{
    /// <summary>
    /// Cosine similarity of centred, L2-normalised features from which two images are near-duplicates. Chosen on
    /// the shared photos with ResNet18 (README, "Audit"): among the 1,600 distinct photos the nearest neighbour's
    /// similarity is 0.566 at the median and 0.878 at the 99.9th percentile (one pair, dog.74 and dog.180, scores
    /// 0.984: the same dog, a real duplicate of the Kaggle set); a photo re-encoded at quality 75 and shrunk to
    /// 80 % scores 0.922 to 1.000 (median 0.982) with its original.
    /// </summary>
    public const double DuplicateThreshold = 0.90;

    /// <summary>Outliers: images whose distance to the nearest class centre is this many robust standard deviations (1.4826 × MAD) above the median.</summary>
    public const double OutlierSigmas = 3.5;

    /// <summary>Rows per block of the all-pairs similarity: a (block, N) matrix at a time, never (N, N).</summary>
    private const int Block = 1024;

    public static AuditReport Run(FeatureCache train, FeatureCache? validation, FeatureCache? test, HeadOptions options, int folds, Action<string>? info)
    {
        options.Validate();
        var source = FeatureSource.Of(train, validation, options.Exclude);
        var images = HeadTrainer.Images(source);
        var classes = train.Classes;
        int k = classes.Count;

        // 1. Out-of-fold probabilities: the same cross-validation as train's default chooses the epochs; each
        //    fold's head, trained for that many epochs without the fold, scores the fold's images.
        (folds, _, int smallest) = HeadSelection.FoldsFor(source, train, folds);
        if (folds < 2)
        {
            throw new DataLayoutException(train.Directory, $"a class has {smallest} image: out-of-fold scores need at least 2 per class", "add photos to the smallest class");
        }

        var cv = HeadTrainer.CrossValidate(train, validation, options, folds, HeadSelection.SingleFoldFrom);
        var foldOf = HeadTrainer.Folds(images, source, folds, options.Seed);
        var oof = new float[images.Length * k];
        for (int fold = 0; fold < folds; fold++)
        {
            var fitViews = images.Where((_, i) => foldOf[i] != fold).ToArray();
            var held = Enumerable.Range(0, images.Length).Where(i => foldOf[i] == fold).ToArray();
            using var model = HeadTrainer.FitModel(source, fitViews, options, cv.BestEpoch);
            var p = HeadTrainer.Probabilities(model, source, held.Select(i => images[i][0]).ToArray());
            for (int j = 0; j < held.Length; j++)
            {
                p.AsSpan(j * k, k).CopyTo(oof.AsSpan(held[j] * k, k));
            }
        }

        // Confident learning: class c's threshold is the mean probability of c over the images labelled c.
        var labels = images.Select(v => source.Labels[v[0]]).ToArray();
        var threshold = Enumerable.Range(0, k).Select(c => Enumerable.Range(0, images.Length).Where(i => labels[i] == c).Average(i => (double)oof[i * k + c])).ToArray();
        var suspects = new List<LabelSuspect>();
        for (int i = 0; i < images.Length; i++)
        {
            var item = source.Items[images[i][0]];
            Suspect(suspects, oof.AsSpan(i * k, k), labels[i], threshold, classes, SplitOf(source, images[i][0], train, validation), item.Path);
        }

        // Test images: a head trained on every training and validation image.
        int[] testRows = test is null ? [] : HeadTrainer.CleanRows(test);
        if (test is not null)
        {
            var testSource = new FeatureSource(test);
            using var head = HeadTrainer.FitModel(source, images, options, cv.BestEpoch);
            var p = HeadTrainer.Probabilities(head, testSource, testRows);
            for (int i = 0; i < testRows.Length; i++)
            {
                Suspect(suspects, p.AsSpan(i * k, k), test.Labels[testRows[i]], threshold, classes, test.Manifest.Split, test.Manifest.Items[testRows[i]].Path);
            }
        }

        // 2 and 3: every clean row of every split, centred by the mean row and L2-normalised.
        var all = new List<(FeatureCache Cache, int Row)>();
        foreach (var cache in new[] { train, validation, test }.OfType<FeatureCache>())
        {
            all.AddRange(HeadTrainer.CleanRows(cache).Select(r => (cache, r)));
        }

        int f = train.FeatureLength;
        var x = new float[(long)all.Count * f];
        var row = new float[f];
        for (int i = 0; i < all.Count; i++)
        {
            all[i].Cache.ReadRow(all[i].Row, row);
            row.CopyTo(x.AsSpan(checked(i * f), f));
        }

        var itemOf = all.Select(a => new AuditItem(a.Cache.Manifest.Split, a.Cache.Manifest.Items[a.Row].Path)).ToArray();
        var labelOf = all.Select(a => a.Cache.Labels[a.Row]).ToArray();
        var (duplicates, outliers, search) = Geometry(x, all.Count, f, itemOf, labelOf, k);
        info?.Invoke($"audit: {images.Length + testRows.Length} images scored ({cv.Folds}-fold out-of-fold, {cv.BestEpoch} epochs), {all.Count} rows searched for near-duplicates ({search})");
        return new AuditReport(suspects.OrderBy(s => s.Score).ThenBy(s => s.Path, StringComparer.Ordinal).ToList(), duplicates, outliers)
        {
            DuplicateThreshold = DuplicateThreshold,
            DuplicateSearch = search,
            CrossValidation = cv,
        };
    }

    /// <summary>
    /// Labelled c, with a probability of c under c's threshold (the mean self-confidence of class c: confident
    /// learning's per-class threshold, so a class the head is less sure of is judged by its own standard), and a
    /// head that prefers another class: a suspect, scored by its probability of c. Those another class claims at
    /// or over that class's own threshold (confident learning's off-diagonal) have the lowest scores and rank first.
    /// </summary>
    private static void Suspect(List<LabelSuspect> suspects, ReadOnlySpan<float> p, int label, double[] threshold, IReadOnlyList<string> classes, string split, string path)
    {
        int best = label;
        for (int j = 0; j < p.Length; j++)
        {
            if (p[j] > p[best])
            {
                best = j;
            }
        }

        if (best != label && p[label] < threshold[label])
        {
            suspects.Add(new LabelSuspect(split, path, classes[label], classes[best], p[label]));
        }
    }

    private static string SplitOf(FeatureSource source, int row, FeatureCache train, FeatureCache? validation) =>
        source.HasValidation && row >= train.Count ? validation!.Manifest.Split : train.Manifest.Split;

    /// <summary>Members a duplicate group lists (the rest are counted): a burst of 39,991 frames is one entry, not 39,991 thumbnails.</summary>
    public const int MaxGroupExamples = 24;

    /// <summary>
    /// Near-duplicate groups (<see cref="NearDuplicates"/>: union-find over the blocked all-pairs cosine pass, or past
    /// <paramref name="approximateFrom"/> rows the leader search) and outliers (distance to the nearest class centre).
    /// Memory is O(N) rows plus one similarity slice.
    /// </summary>
    internal static (List<DuplicateGroup> Duplicates, List<Outlier> Outliers, string Search) Geometry(float[] rows, int n, int f, AuditItem[] items, int[] labels, int classes, int approximateFrom = NearDuplicates.ApproximateFrom)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var raw = nn.functional.normalize(tensor(rows, [n, f], ScalarType.Float32), dim: 1);
        var x = tensor(rows, [n, f], ScalarType.Float32);
        x = nn.functional.normalize(x - x.mean([0], keepdim: true), dim: 1);
        var (sets, link, search) = NearDuplicates.Find(x, n, DuplicateThreshold, approximateFrom);
        var groups = Groups(sets, link, items);

        // Outliers: 1 − cosine to the nearest class centre, on the features as they are (not centred: an image
        // with little of any class's pattern, a scan or a blank frame, has a small centred vector whose direction
        // is noise, but points away from every class as it is). Measured: a text scan and a grey gradient among
        // 60 photos score 6.6 and 7.4 robust deviations, the most distant photo 2.9.
        var labelTensor = tensor(labels.Select(l => (long)l).ToArray(), [n], ScalarType.Int64);
        var centres = torch.stack(Enumerable.Range(0, classes).Select(c => raw.index_select(0, labelTensor.eq(tensor((long)c)).nonzero().squeeze(1)).mean([0])).ToArray());
        centres = nn.functional.normalize(centres, dim: 1);
        var distance = raw.matmul(centres.T).max(1).values.neg().add(tensor(1f));   // (N)
        var d = distance.data<float>().ToArray();
        // Robust z: the median and the median absolute deviation (× 1.4826, a standard deviation for normal data),
        // so the outliers themselves neither shift the centre nor widen the spread that judges them.
        double median = Median(d), mad = 1.4826 * Median(d.Select(v => (float)Math.Abs(v - median)).ToArray());
        var outliers = Enumerable.Range(0, n).Select(i => (i, z: mad > 0 ? (d[i] - median) / mad : 0)).Where(t => t.z >= OutlierSigmas)
            .OrderByDescending(t => t.z).Select(t => new Outlier(items[t.i].Split, items[t.i].Path, Math.Round(t.z, 3))).ToList();
        return (groups, outliers, search);
    }

    /// <summary>Each set of two or more rows as a group: its lowest link, up to <see cref="MaxGroupExamples"/> members (every split represented), its size.</summary>
    internal static List<DuplicateGroup> Groups(DisjointSets sets, float[] link, AuditItem[] items)
    {
        var members = new Dictionary<int, List<int>>();
        for (int i = 0; i < sets.Count; i++)
        {
            int root = sets.Find(i);
            if (sets.SizeOf(root) > 1)
            {
                if (!members.TryGetValue(root, out var list))
                {
                    members[root] = list = [];
                }

                list.Add(i);
            }
        }

        return members.Values.Select(g =>
        {
            float lowest = g.Min(i => link[i]);
            var bySplit = g.Select(i => items[i]).GroupBy(i => i.Split, StringComparer.Ordinal).OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => s.OrderBy(i => i.Path, StringComparer.Ordinal).ToList()).ToList();
            // Examples: round robin over the splits, so a leak shows both sides however lopsided the group.
            var examples = new List<AuditItem>();
            for (int k = 0; examples.Count < Math.Min(MaxGroupExamples, g.Count); k++)
            {
                examples.AddRange(bySplit.Where(s => k < s.Count).Select(s => s[k]).Take(MaxGroupExamples - examples.Count));
            }

            var list = examples.OrderBy(i => i.Split, StringComparer.Ordinal).ThenBy(i => i.Path, StringComparer.Ordinal).ToList();
            return new DuplicateGroup(Math.Round(lowest, 6), list, bySplit.Count > 1) { Count = g.Count > list.Count ? g.Count : null };
        }).OrderByDescending(d => d.Leak).ThenByDescending(d => d.Similarity).ThenBy(d => d.Items[0].Path, StringComparer.Ordinal).ToList();
    }

    private static double Median(float[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;
    }
}
