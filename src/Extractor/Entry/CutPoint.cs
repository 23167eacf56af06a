namespace Pipeline;

/// <summary>Where a feature extractor can be cut from a model: what <c>models info</c> lists and what extract picks.</summary>
/// <param name="Kind">What the tensor is.</param>
/// <param name="Tensor">The tensor's name, for <c>models cut --at</c>.</param>
/// <param name="Note">The op around it, for people.</param>
public sealed record CutPoint(CutKind Kind, string Tensor, string Note);
