namespace Pipeline;

/// <summary>
/// What becomes of a spatial feature map (C, H, W), or of a transformer's token sequence (T, D), before it is cached,
/// as Keras applications' <c>pooling</c> argument and timm's <c>global_pool</c>: applied inside the graph, so the cache
/// holds the pooled vector and a head trains on C (or D) features.
/// </summary>
public enum Pooling
{
    /// <summary>Every value of the map, flattened (C·H·W features): the walkthrough's Flatten on VGG16's pool5 (25,088).</summary>
    Flatten,

    /// <summary>Global average pooling of a map (C features): Keras <c>pooling='avg'</c>.</summary>
    Avg,

    /// <summary>Global max pooling of a map (C features): Keras <c>pooling='max'</c>.</summary>
    Max,

    /// <summary>A token sequence (N, T, D)'s first token, the class token (D features): timm <c>global_pool='token'</c>, ViT/DeiT/DINOv2's usual feature.</summary>
    Cls,

    /// <summary>The mean over a token sequence (N, T, D)'s tokens (D features): timm <c>global_pool='avg'</c>.</summary>
    Mean,
}
