namespace Pipeline.Head.Training;

/// <summary>
/// Folds for multi-label images by iterative stratification (Sechidis, Tsoumakas and Vlahavas, "On the
/// Stratification of Multi-label Data", ECML PKDD 2011; scikit-multilearn's <c>IterativeStratification</c>):
/// the rarest label still to place is dealt first, each of its images to the fold that most lacks that label,
/// so a label with at least K images lands in every one of K folds and each fold holds about 1/K of every label.
/// </summary>
internal static class IterativeStratification
{
    /// <summary>
    /// The fold (0 to <paramref name="folds"/> − 1) of each image, whose labels are <paramref name="labels"/>[i]
    /// (label indexes below <paramref name="classes"/>; an image may have none). Ties between folds go to the one
    /// that most lacks images overall, then to one drawn by <paramref name="seed"/>.
    /// </summary>
    public static int[] Folds(IReadOnlyList<int[]> labels, int classes, int folds, int seed)
    {
        var rng = new Random(seed);
        int n = labels.Count;
        var foldOf = new int[n];
        Array.Fill(foldOf, -1);
        // wanted[j]: images fold j still lacks; wantedLabel[l][j]: images of label l it still lacks (both can go negative).
        var wanted = Enumerable.Repeat((double)n / folds, folds).ToArray();
        var perLabel = new int[classes];
        foreach (var set in labels)
        {
            foreach (int l in set)
            {
                perLabel[l]++;
            }
        }

        var wantedLabel = perLabel.Select(c => Enumerable.Repeat((double)c / folds, folds).ToArray()).ToArray();
        var unplaced = new int[classes];   // images of each label not yet in a fold
        Array.Copy(perLabel, unplaced, classes);
        var byLabel = Enumerable.Range(0, classes).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            foreach (int l in labels[i])
            {
                byLabel[l].Add(i);
            }
        }

        while (Rarest(unplaced, rng) is int label)
        {
            var images = byLabel[label].Where(i => foldOf[i] < 0).ToArray();
            rng.Shuffle(images);
            foreach (int i in images)
            {
                int fold = Choose(wantedLabel[label], wanted, rng);
                Place(i, fold, labels[i], foldOf, wanted, wantedLabel, unplaced);
            }
        }

        // Images without a label: to the folds that most lack images.
        var rest = Enumerable.Range(0, n).Where(i => foldOf[i] < 0).ToArray();
        rng.Shuffle(rest);
        foreach (int i in rest)
        {
            Place(i, Choose(wanted, wanted, rng), labels[i], foldOf, wanted, wantedLabel, unplaced);
        }

        return foldOf;
    }

    /// <summary>The label with the fewest images still to place (ties drawn at random); null when every labelled image is placed.</summary>
    private static int? Rarest(int[] unplaced, Random rng)
    {
        int fewest = int.MaxValue;
        var ties = new List<int>();
        for (int l = 0; l < unplaced.Length; l++)
        {
            if (unplaced[l] <= 0 || unplaced[l] > fewest)
            {
                continue;
            }

            if (unplaced[l] < fewest)
            {
                fewest = unplaced[l];
                ties.Clear();
            }

            ties.Add(l);
        }

        return ties.Count == 0 ? null : ties[rng.Next(ties.Count)];
    }

    /// <summary>The fold with the largest <paramref name="primary"/> want, ties broken by the largest <paramref name="secondary"/>, then at random.</summary>
    private static int Choose(double[] primary, double[] secondary, Random rng)
    {
        var ties = new List<int>();
        for (int j = 0; j < primary.Length; j++)
        {
            if (ties.Count == 0 || primary[j] > primary[ties[0]] || (primary[j] == primary[ties[0]] && secondary[j] > secondary[ties[0]]))
            {
                ties.Clear();
                ties.Add(j);
            }
            else if (primary[j] == primary[ties[0]] && secondary[j] == secondary[ties[0]])
            {
                ties.Add(j);
            }
        }

        return ties[rng.Next(ties.Count)];
    }

    private static void Place(int image, int fold, int[] labels, int[] foldOf, double[] wanted, double[][] wantedLabel, int[] unplaced)
    {
        foldOf[image] = fold;
        wanted[fold]--;
        foreach (int l in labels)
        {
            wantedLabel[l][fold]--;
            unplaced[l]--;
        }
    }
}
