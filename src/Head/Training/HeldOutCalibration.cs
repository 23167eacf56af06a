namespace Pipeline.Head.Training;

/// <summary>
/// A temperature fitted on held-out logits and whether the head takes it: <see cref="Temperature"/> is the one
/// applied, <see cref="Fitted"/> the one that minimised the held-out log-loss, <see cref="Gain"/> the log-loss it saved.
/// </summary>
internal readonly record struct HeldOutCalibration(double Temperature, double Fitted, double Gain)
{
    /// <summary>No temperature scaling: calibration off, a multi-label head, or nothing held out.</summary>
    public static HeldOutCalibration Off { get; } = new(1, 1, 0);
}
