namespace Pipeline.Head.Training;

/// <summary>Adam as the training loop uses it: clear the gradients, then one update of every parameter.</summary>
internal interface IHeadOptimizer : IDisposable
{
    void ZeroGrad();

    void Step();
}
