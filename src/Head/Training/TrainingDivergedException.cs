namespace Pipeline;

/// <summary>
/// Training produced a non-finite loss: the learning rate is too high for these features, or (when
/// <see cref="DataProblem"/> is set) one row's features are out of all proportion to the others.
/// </summary>
public sealed class TrainingDivergedException : PipelineException
{
    /// <summary>A non-finite loss at <paramref name="epoch"/> with <paramref name="learningRate"/>.</summary>
    public TrainingDivergedException(int epoch, double loss, double learningRate)
        : this(epoch, loss, learningRate, null)
    {
    }

    /// <summary>As the other constructor, naming the row at fault when the data, not the learning rate, made the loss non-finite.</summary>
    public TrainingDivergedException(int epoch, double loss, double learningRate, string? dataProblem)
        : base(FormattableString.Invariant($"training diverged at epoch {epoch}: the loss is {loss} with learning rate {learningRate:G4}") + (dataProblem is null ? "" : $"; the data is at fault: {dataProblem}"),
               dataProblem is null ? null : "leave that image out of training (exclude it), or extract its features again")
    {
        Epoch = epoch;
        LearningRate = learningRate;
        DataProblem = dataProblem;
    }

    /// <summary>The epoch whose loss was not finite.</summary>
    public int Epoch { get; }

    /// <summary>The learning rate that diverged.</summary>
    public double LearningRate { get; }

    /// <summary>The row (cache, split, image) whose features made the loss non-finite; null when no row stands out (lower the learning rate).</summary>
    public string? DataProblem { get; }
}
