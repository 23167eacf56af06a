using System.Diagnostics;
using Pipeline.Extractor.Cache;

namespace Pipeline.Head.Training;

/// <summary>One setting's held-out score: cross-validated means ± standard errors, or on the validation split (no errors).</summary>
public sealed record SettingScore(HeadOptions Options, double? Accuracy, double? AccuracyStdErr, double Loss, double? LossStdErr, int BestEpoch, double Seconds)
{
    /// <summary>
    /// Whether this setting's held-out loss is within two standard errors (combined) of <paramref name="best"/>'s:
    /// then the data cannot tell the two apart, and they are not ranked.
    /// </summary>
    public bool TiesWith(SettingScore best) =>
        LossStdErr is { } a && best.LossStdErr is { } b && Loss - best.Loss <= 2 * Math.Sqrt((a * a) + (b * b));
}

/// <summary>The final head of one or several settings, and the held-out score of each.</summary>
public sealed record Selection(TrainedHead Head, IReadOnlyList<SettingScore> Scores);

/// <summary>
/// Chooses among head settings. With folds (K ≥ 2): each setting is cross-validated over training +
/// validation images, the lowest mean held-out loss wins and is refitted on all of them. Without: each
/// setting trains on the training split, the validation split picks (best accuracy, then loss).
/// </summary>
public static class HeadSelection
{
    public static Selection Select(FeatureCache train, FeatureCache? validation, IReadOnlyList<HeadOptions> grid, int folds,
                                   Action<SettingScore>? scored = null, Action<EpochRecord>? log = null) =>
        folds >= 2 ? CrossValidated(train, validation, grid, folds, scored, log) : OnValidation(train, validation, grid, scored, log);

    private static Selection CrossValidated(FeatureCache train, FeatureCache? validation, IReadOnlyList<HeadOptions> grid, int folds,
                                            Action<SettingScore>? scored, Action<EpochRecord>? log)
    {
        var scores = new List<SettingScore>();
        (HeadOptions Options, CrossValidation Cv)? best = null;
        foreach (var options in grid)
        {
            var cv = HeadTrainer.CrossValidate(train, validation, options, folds);
            var score = new SettingScore(options, cv.Accuracy, cv.AccuracyStdErr, cv.Loss, cv.LossStdErr, cv.BestEpoch, cv.Seconds);
            scores.Add(score);
            scored?.Invoke(score);
            if (best is null || cv.Loss < best.Value.Cv.Loss)
            {
                best = (options, cv);
            }
        }

        return new Selection(HeadTrainer.Refit(train, validation, best!.Value.Options, best.Value.Cv, log), scores);
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
            var r = head.Manifest.History[head.Manifest.BestEpoch - 1];
            var score = new SettingScore(options, r.ValAccuracy, null, r.ValLoss ?? r.TrainLoss, null, head.Manifest.BestEpoch, clock.Elapsed.TotalSeconds);
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
        var ra = a.Manifest.History[a.Manifest.BestEpoch - 1];
        var rb = b.Manifest.History[b.Manifest.BestEpoch - 1];
        double accA = ra.ValAccuracy ?? ra.TrainAccuracy, accB = rb.ValAccuracy ?? rb.TrainAccuracy;
        return accA > accB || (accA == accB && (ra.ValLoss ?? ra.TrainLoss) < (rb.ValLoss ?? rb.TrainLoss));
    }
}
