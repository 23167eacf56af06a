namespace Pipeline.Extractor.Backbones;

/// <summary>
/// What becomes of a spatial feature map (C, H, W) before it is cached, as Keras applications' <c>pooling</c>
/// argument: applied inside the graph, so the cache holds the pooled vector and a head trains on C features.
/// </summary>
public enum Pooling
{
    /// <summary>Every value of the map, flattened (C·H·W features): the walkthrough's Flatten on VGG16's pool5 (25,088).</summary>
    Flatten,

    /// <summary>Global average pooling (C features): Keras <c>pooling='avg'</c>.</summary>
    Avg,

    /// <summary>Global max pooling (C features): Keras <c>pooling='max'</c>.</summary>
    Max,
}
