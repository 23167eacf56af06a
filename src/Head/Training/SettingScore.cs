namespace Pipeline;

/// <summary>One setting's held-out score: cross-validated means ± standard errors, or on the validation split (no errors).</summary>
public sealed record SettingScore
{
    /// <summary>The setting.</summary>
    public required HeadOptions Options { get; init; }

    /// <summary>Held-out accuracy (the K folds' mean, or the validation split's).</summary>
    public required double? Accuracy { get; init; }

    /// <summary>Its standard error over the folds; null when selected on the validation split.</summary>
    public required double? AccuracyStdErr { get; init; }

    /// <summary>Held-out log-loss (or the training loss where nothing was held out).</summary>
    public required double Loss { get; init; }

    /// <summary>Its standard error over the folds; null when selected on the validation split.</summary>
    public required double? LossStdErr { get; init; }

    /// <summary>The epoch count chosen.</summary>
    public required int BestEpoch { get; init; }

    /// <summary>Time the setting took.</summary>
    public required double Seconds { get; init; }

    /// <summary>A setting scored by cross-validation: the folds' means and standard errors at the chosen epoch.</summary>
    internal static SettingScore Of(HeadOptions options, CrossValidation cv) => new()
    {
        Options = options, Accuracy = cv.Accuracy, AccuracyStdErr = cv.AccuracyStdErr, Loss = cv.Loss, LossStdErr = cv.LossStdErr,
        BestEpoch = cv.BestEpoch, Seconds = cv.Seconds,
    };

    /// <summary>A setting scored by its trained head: the head's held-out score (<see cref="HeadManifest.HeldOutAccuracy"/>), no standard errors.</summary>
    internal static SettingScore Of(HeadOptions options, HeadManifest head, double seconds) => new()
    {
        Options = options, Accuracy = head.HeldOutAccuracy, AccuracyStdErr = null, Loss = head.HeldOutLoss, LossStdErr = null,
        BestEpoch = head.BestEpoch, Seconds = seconds,
    };

    /// <summary>
    /// Whether this setting's held-out loss is within two standard errors (combined) of <paramref name="best"/>'s:
    /// then the data cannot tell the two apart, and they are not ranked.
    /// </summary>
    public bool TiesWith(SettingScore best) =>
        LossStdErr is { } a && best.LossStdErr is { } b && Loss - best.Loss <= 2 * Math.Sqrt((a * a) + (b * b));
}
