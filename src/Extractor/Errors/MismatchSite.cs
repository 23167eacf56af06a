namespace Pipeline;

/// <summary>Where a feature-space check failed; each has its own remedy.</summary>
public enum MismatchSite
{
    /// <summary>An existing cache (or unfinished run) in the output folder was made differently.</summary>
    ExistingCache,

    /// <summary>Validation features differ from the training features.</summary>
    TrainingAndValidation,

    /// <summary>A cache to evaluate differs from what the head was trained on.</summary>
    HeadAndCache,

    /// <summary>The backbone file given differs from the one the head was trained on.</summary>
    HeadAndBackbone,

    /// <summary>Shards of one cache were made differently (or from another image listing).</summary>
    Shards,
}
