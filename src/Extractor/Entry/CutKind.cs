namespace Pipeline;

/// <summary>The kinds of sensible cut, in the order a Keras user meets them.</summary>
public enum CutKind
{
    /// <summary>The last spatial feature map before any global pool and the classifier (Keras include_top=False).</summary>
    LastFeatureMap,

    /// <summary>A global pool's output, before the classifier (Keras pooling='avg' or 'max').</summary>
    GlobalPool,

    /// <summary>What the classifier reads: the penultimate layer.</summary>
    Penultimate,

    /// <summary>A transformer's token sequence (N, T, D), class token first: <c>--pool cls</c> or <c>mean</c> makes it a vector.</summary>
    TokenSequence,

    /// <summary>A transformer's pooled embedding (N, D): the class token, a pooler or a projection (CLIP's image embedding).</summary>
    Embedding,
}
