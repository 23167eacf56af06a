using System.Diagnostics;

namespace Pipeline.Head.Training;

/// <summary>
/// Chooses among head settings: the one way to cross-validate and refit. With folds (K ≥ 2): each setting is
/// cross-validated over training + validation images, the lowest mean held-out loss wins and is refitted on
/// all of them. Without: each setting trains on the training split, the validation split picks (best
/// accuracy, then loss). K never exceeds the images of the smallest class; below two, nothing can be held
/// out and the head trains a fixed number of epochs on every image.
/// </summary>
internal static class HeadSelection
{
    /// <summary>Folds of the default selection (the CLI's <c>--folds</c> default).</summary>
    public const int DefaultFolds = 5;

    /// <summary>
    /// From this many images on, one stratified held-out fold of 1/K is trained instead of K: at 10,000 images
    /// that fold holds 2,000, whose accuracy has a standard error of about √(0.98 · 0.02 / 2,000) = 0.3 point at
    /// 98 % — smaller than the 0.5 point of the 5-fold mean over the 1,200 shared photos — at a fifth of the work.
    /// </summary>
    public const int SingleFoldFrom = 10_000;

    /// <summary>The most folds a selection takes.</summary>
    public const int MaxFolds = 20;

    public static Selection Select(FeatureCache train, FeatureCache? validation, IReadOnlyList<HeadOptions> grid, int folds,
                                   Action<SettingScore>? scored = null, Action<EpochRecord>? log = null, Action<string>? info = null)
    {
        ValidateFolds(folds);
        foreach (var options in grid)
        {
            options.Validate();
        }

        if (folds < 2)
        {
            return OnValidation(train, validation, grid, scored, log);
        }

        var (k, smallest, count) = FoldsFor(FeatureSource.Of(train, validation, grid[0].Exclude), train, folds);
        if (k == folds)
        {
            return CrossValidated(train, validation, grid, folds, scored, log);
        }

        if (k >= 2)
        {
            info?.Invoke($"{folds}-fold cross-validation needs {folds} images of every class; '{smallest}' has {count}: using {count} folds");
            return CrossValidated(train, validation, grid, count, scored, log);
        }

        var fixedEpochs = grid[0];
        info?.Invoke($"class '{smallest}' has {count} image: too few to hold any out, so {fixedEpochs.Epochs} epochs on every image, with no held-out selection" +
            (grid.Count > 1 ? $" (of the {grid.Count} settings, the first: {fixedEpochs.Describe()})" : ""));
        var head = HeadTrainer.FitAll(train, validation, fixedEpochs, fixedEpochs.Epochs, null, log);
        return new Selection(head, []);
    }

    /// <summary>Refuses a fold count outside 0 (select on the validation split) or 2 to <see cref="MaxFolds"/>.</summary>
    public static void ValidateFolds(int folds)
    {
        if (folds is < 0 or 1 or > MaxFolds)
        {
            throw new InvalidSettingException("folds", folds.ToString(System.Globalization.CultureInfo.InvariantCulture), $"0 (select on the validation split) or from 2 to {MaxFolds}");
        }
    }

    /// <summary>
    /// The one fold rule, for train's selection and the audit's out-of-fold scores: K drops to the images of the
    /// smallest class over training + validation (a multi-label cache's images are one group); that class and its
    /// count come with it for the message. A class with no images is refused.
    /// </summary>
    internal static (int Folds, string Class, int Count) FoldsFor(FeatureSource source, FeatureCache train, int folds)
    {
        var (smallest, count) = SmallestClass(source, train);
        return (Math.Min(folds, count), smallest, count);
    }

    /// <summary>The class with the fewest images over training + validation (clean rows), and that count; a class with none is refused.</summary>
    private static (string Class, int Count) SmallestClass(FeatureSource source, FeatureCache train)
    {
        if (source.MultiLabel)
        {
            return ("the multi-label images", HeadTrainer.Images(source).Length);   // iteratively stratified by label set
        }

        var counts = new int[source.ClassCount];
        foreach (var image in HeadTrainer.Images(source))
        {
            counts[source.Labels[image[0]]]++;
        }

        int c = Array.IndexOf(counts, counts.Min());
        string name = train.Classes[c];
        if (counts[c] == 0)
        {
            throw new DataLayoutException(train.Directory, $"class '{name}' has no images to train on (0 of {counts.Sum()})",
                $"add photos of '{name}' to the training folder, or remove its folder");
        }

        return (name, counts[c]);
    }

    private static Selection CrossValidated(FeatureCache train, FeatureCache? validation, IReadOnlyList<HeadOptions> grid, int folds,
                                            Action<SettingScore>? scored, Action<EpochRecord>? log)
    {
        var scores = new List<SettingScore>();
        (HeadOptions Options, CrossValidation Cv)? best = null;
        foreach (var options in grid)
        {
            var cv = HeadTrainer.CrossValidate(train, validation, options, folds, SingleFoldFrom);
            var score = SettingScore.Of(options, cv);
            scores.Add(score);
            scored?.Invoke(score);
            if (best is null || cv.Loss < best.Value.Cv.Loss)
            {
                best = (options, cv);
            }
        }

        var (chosen, chosenCv) = best!.Value;
        if (grid[0].ConvexProbe && ProbeSelection.CrossValidate(train, validation, grid[0], folds, SingleFoldFrom) is { } probe)
        {
            var score = SettingScore.Of(probe.Options, probe.Cv);   // the probe's BestEpoch is 1
            scores.Add(score);
            scored?.Invoke(score);
            if (probe.Cv.Loss < chosenCv.Loss)
            {
                return new Selection(ProbeSelection.FitAll(train, validation, probe.Options, probe.Cv), scores);
            }
        }

        return new Selection(HeadTrainer.FitAll(train, validation, chosen, chosenCv.BestEpoch, chosenCv, log), scores);
    }

    private static Selection OnValidation(FeatureCache train, FeatureCache? validation, IReadOnlyList<HeadOptions> grid,
                                          Action<SettingScore>? scored, Action<EpochRecord>? log)
    {
        var scores = new List<SettingScore>();
        TrainedHead? best = null;
        foreach (var options in grid)
        {
            var clock = Stopwatch.StartNew();
            var head = HeadTrainer.Train(train, validation, options, log);
            var score = SettingScore.Of(options, head.Manifest, clock.Elapsed.TotalSeconds);
            scores.Add(score);
            scored?.Invoke(score);
            if (best is null || Better(head, best))
            {
                best?.Dispose();
                best = head;
            }
            else
            {
                head.Dispose();
            }
        }

        return new Selection(best!, scores);
    }

    private static bool Better(TrainedHead a, TrainedHead b)
    {
        // Nothing held out: the training accuracy at the chosen epoch breaks the tie.
        double accA = a.Manifest.HeldOutAccuracy ?? a.Manifest.Best.TrainAccuracy, accB = b.Manifest.HeldOutAccuracy ?? b.Manifest.Best.TrainAccuracy;
        return accA > accB || (accA == accB && a.Manifest.HeldOutLoss < b.Manifest.HeldOutLoss);
    }
}
