namespace Pipeline;

/// <summary>How a head's weights are found.</summary>
public enum HeadSolver
{
    /// <summary>Mini-batch Adam for the set epochs, the epoch chosen on held-out loss.</summary>
    Adam,

    /// <summary>The exact convex probe: a linear head solved to its optimum by full-batch L-BFGS (<c>ConvexProbe</c>).</summary>
    Lbfgs,
}
