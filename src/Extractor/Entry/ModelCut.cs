namespace Pipeline;

/// <summary>What <see cref="Models.Cut"/> wrote: the nodes the cut model keeps and those it dropped.</summary>
public sealed record ModelCut
{
    /// <summary>The model file written.</summary>
    public required string Output { get; init; }

    /// <summary>Nodes kept: those the new output needs.</summary>
    public required int NodesKept { get; init; }

    /// <summary>Nodes dropped.</summary>
    public required int NodesDropped { get; init; }
}
