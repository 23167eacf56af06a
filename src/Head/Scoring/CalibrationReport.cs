namespace Pipeline.Head.Scoring;

/// <summary>
/// How well the head's probabilities match its accuracy on the evaluated images, before and after the
/// temperature it was calibrated with (1: not calibrated). The expected calibration error is over
/// <see cref="TemperatureScaling.Bins"/> equal-width bins of the top probability.
/// </summary>
/// <param name="Temperature">The head's temperature T (probabilities are softmax(logits / T)), fitted on held-out predictions.</param>
/// <param name="ErrorBefore">Expected calibration error of softmax(logits).</param>
/// <param name="ErrorAfter">Expected calibration error of softmax(logits / T): what the head reports.</param>
/// <param name="LossBefore">Log-loss of softmax(logits).</param>
/// <param name="BinsBefore">The reliability diagram of softmax(logits).</param>
/// <param name="BinsAfter">The reliability diagram of softmax(logits / T).</param>
public sealed record CalibrationReport(double Temperature, double ErrorBefore, double ErrorAfter, double LossBefore,
                                       IReadOnlyList<ReliabilityBin> BinsBefore, IReadOnlyList<ReliabilityBin> BinsAfter);
