namespace Pipeline.Extractor.Cache;

/// <summary>What a non-clean cached row is (a clean row has no kind); written "augmented" or "mirror" in the manifest.</summary>
internal enum RowKind
{
    /// <summary>One of an image's random views (training split, <c>--augment K</c>).</summary>
    Augmented,

    /// <summary>The image's horizontal mirror (validation and test splits, <c>--tta flip</c>).</summary>
    Mirror,
}
