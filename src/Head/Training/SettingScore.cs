namespace Pipeline.Head.Training;

/// <summary>One setting's held-out score: cross-validated means ± standard errors, or on the validation split (no errors).</summary>
/// <param name="Options">The setting.</param>
/// <param name="Accuracy">Held-out accuracy (the K folds' mean, or the validation split's).</param>
/// <param name="AccuracyStdErr">Its standard error over the folds; null when selected on the validation split.</param>
/// <param name="Loss">Held-out log-loss (or the training loss where nothing was held out).</param>
/// <param name="LossStdErr">Its standard error over the folds; null when selected on the validation split.</param>
/// <param name="BestEpoch">The epoch count chosen.</param>
/// <param name="Seconds">Time the setting took.</param>
public sealed record SettingScore(HeadOptions Options, double? Accuracy, double? AccuracyStdErr, double Loss, double? LossStdErr, int BestEpoch, double Seconds)
{
    /// <summary>
    /// Whether this setting's held-out loss is within two standard errors (combined) of <paramref name="best"/>'s:
    /// then the data cannot tell the two apart, and they are not ranked.
    /// </summary>
    public bool TiesWith(SettingScore best) =>
        LossStdErr is { } a && best.LossStdErr is { } b && Loss - best.Loss <= 2 * Math.Sqrt((a * a) + (b * b));
}
