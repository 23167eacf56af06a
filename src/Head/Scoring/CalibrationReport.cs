namespace Pipeline;

/// <summary>
/// How well the head's probabilities match its accuracy on the evaluated images, before and after the
/// temperature it was calibrated with (1: not calibrated). The expected calibration error is over
/// <see cref="TemperatureScaling.Bins"/> equal-width bins of the top probability.
/// </summary>
public sealed record CalibrationReport
{
    /// <summary>The head's temperature T (probabilities are softmax(logits / T)), fitted on held-out predictions.</summary>
    public required double Temperature { get; init; }

    /// <summary>Expected calibration error of softmax(logits).</summary>
    public required double ErrorBefore { get; init; }

    /// <summary>Expected calibration error of softmax(logits / T): what the head reports.</summary>
    public required double ErrorAfter { get; init; }

    /// <summary>Log-loss of softmax(logits).</summary>
    public required double LossBefore { get; init; }

    /// <summary>The reliability diagram of softmax(logits).</summary>
    public required IReadOnlyList<ReliabilityBin> BinsBefore { get; init; }

    /// <summary>The reliability diagram of softmax(logits / T).</summary>
    public required IReadOnlyList<ReliabilityBin> BinsAfter { get; init; }
}
