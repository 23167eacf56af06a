namespace Pipeline;

/// <summary>What k-fold cross-validation measured for one setting.</summary>
public sealed record CrossValidation
{
    private readonly int? _foldsTrained;

    /// <summary>K: the images were dealt into K folds.</summary>
    public required int Folds { get; init; }

    /// <summary>The epoch count with the lowest mean held-out loss.</summary>
    public required int BestEpoch { get; init; }

    /// <summary>Mean held-out log-loss over the folds at that epoch.</summary>
    public required double Loss { get; init; }

    /// <summary>Its standard error (fold spread / √K, or the rows' spread / √n for one held-out fold).</summary>
    public required double LossStdErr { get; init; }

    /// <summary>Mean held-out accuracy over the folds at that epoch.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Its standard error.</summary>
    public required double AccuracyStdErr { get; init; }

    /// <summary>Images the folds cover (training + validation).</summary>
    public required int Images { get; init; }

    /// <summary>Time the K fits took.</summary>
    public required double Seconds { get; init; }

    /// <summary>
    /// Folds trained and scored: K below 10,000 images (<c>HeadSelection.SingleFoldFrom</c>), else 1 (a single
    /// stratified held-out fold of 1/K of the images, whose standard error is already small). <see cref="Folds"/> when not set.
    /// </summary>
    public int FoldsTrained { get => _foldsTrained ?? Folds; init => _foldsTrained = value; }

    /// <summary>Epochs trained before the mean held-out loss stopped improving (at most the setting's epochs).</summary>
    public int EpochsRun { get; init; }

    /// <summary>Floating-point operations the folds took (dense layers: forward and backward per training row, forward per held-out row).</summary>
    public double Flops { get; init; }

    /// <summary>
    /// The temperature T the head applies (it reports softmax(logits / T)): <see cref="FittedTemperature"/> when
    /// that lowers the out-of-fold log-loss by more than the held-out loss's standard error
    /// (<see cref="LossStdErr"/>), else 1; 1 when calibration is off.
    /// </summary>
    public double Temperature { get; init; } = 1;

    /// <summary>
    /// The T that minimises the out-of-fold log-loss at <see cref="BestEpoch"/> (fitted on the fold heads' logits;
    /// the refit head is another model, so a gain inside the folds' noise is not carried over). 1 when calibration is
    /// off, and in heads written before it was recorded (their <see cref="Temperature"/> is the fitted one).
    /// </summary>
    public double FittedTemperature { get; init; } = 1;

    /// <summary>Out-of-fold log-loss at T = 1 minus at <see cref="FittedTemperature"/> (unweighted mean over the held-out images); 0 when not fitted.</summary>
    public double TemperatureGain { get; init; }

    /// <summary>Expected calibration error (15 bins) of the out-of-fold predictions before temperature scaling.</summary>
    public double CalibrationErrorBefore { get; init; }

    /// <summary>The same after temperature scaling (fitted on these same predictions, so an optimistic figure).</summary>
    public double CalibrationErrorAfter { get; init; }

    /// <summary>
    /// A multi-label head's held-out score: micro-F1 of the out-of-fold probabilities at the chosen per-label
    /// thresholds (chosen on those same probabilities, so a little optimistic); null when single-label.
    /// <see cref="Accuracy"/> is then the subset accuracy at 0.5.
    /// </summary>
    public double? MicroF1 { get; init; }

    /// <summary>A multi-label head's per-label thresholds, chosen on the out-of-fold probabilities (head.json keeps them); null when single-label.</summary>
    internal IReadOnlyList<double>? Thresholds { get; init; }
}
