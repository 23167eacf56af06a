namespace Pipeline.Head.Scoring;

/// <summary>
/// Counts for a reliability diagram, one image at a time (evaluation streams its batches): each image's top
/// probability (its confidence) falls in one of <see cref="TemperatureScaling.Bins"/> equal-width bins of (0, 1];
/// a bin sums its images' confidences and counts those whose top class is the label.
/// </summary>
internal sealed class ReliabilityTally
{
    private readonly int[] _count = new int[TemperatureScaling.Bins];
    private readonly double[] _confidence = new double[TemperatureScaling.Bins];
    private readonly int[] _correct = new int[TemperatureScaling.Bins];

    /// <summary>One image: its probabilities (classes) and its label.</summary>
    public void Add(ReadOnlySpan<float> probabilities, int label)
    {
        int top = Evaluation.ArgMax(probabilities);
        int bin = TemperatureScaling.Bin(probabilities[top]);
        _count[bin]++;
        _confidence[bin] += probabilities[top];
        _correct[bin] += top == label ? 1 : 0;
    }

    /// <summary>The bins, lowest confidence first; an empty bin has confidence and accuracy 0.</summary>
    public IReadOnlyList<ReliabilityBin> Bins() => Enumerable.Range(0, TemperatureScaling.Bins).Select(b => new ReliabilityBin(
        (double)b / TemperatureScaling.Bins, (double)(b + 1) / TemperatureScaling.Bins, _count[b],
        _count[b] == 0 ? 0 : _confidence[b] / _count[b], _count[b] == 0 ? 0 : (double)_correct[b] / _count[b])).ToList();
}
