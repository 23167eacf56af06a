using Pipeline.Extractor;

namespace Pipeline.Head.Training;

/// <summary>Training produced a non-finite loss: the learning rate is too high for these features.</summary>
public sealed class TrainingDivergedException(int epoch, double loss, double learningRate)
    : PipelineException(FormattableString.Invariant($"training diverged at epoch {epoch}: the loss is {loss} with learning rate {learningRate:G4}"))
{
    /// <summary>The epoch whose training loss was not finite.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The learning rate that diverged.</summary>
    public double LearningRate { get; } = learningRate;
}
