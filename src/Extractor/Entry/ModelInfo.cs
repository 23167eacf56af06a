namespace Pipeline;

/// <summary>What <see cref="Models.Info"/> reads from a model file (<c>models info</c>).</summary>
public sealed record ModelInfo
{
    /// <summary>Each graph input as "name shape" (initialisers left out), e.g. "data Nx3x224x224".</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>Each graph output as "name shape".</summary>
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>Operator types with their counts, the most used first, e.g. "Conv 20".</summary>
    public required IReadOnlyList<string> Operators { get; init; }

    /// <summary>Weights in the initialisers.</summary>
    public required long Parameters { get; init; }

    /// <summary>GFLOPs for one image at the input's size; NaN when the input is not an image (N, 3, H, W).</summary>
    public required double Gflops { get; init; }

    /// <summary>True for a model with random weights (made by <c>models synth</c>): for speed only.</summary>
    public required bool Synthetic { get; init; }

    /// <summary>Where a feature extractor can be cut, each note led by the tensor's shape for one image where the graph runs.</summary>
    public required IReadOnlyList<CutPoint> CutPoints { get; init; }
}
