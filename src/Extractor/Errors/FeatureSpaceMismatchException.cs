namespace Pipeline;

/// <summary>
/// Two things that must share one <see cref="FeatureSpace"/> do not: <see cref="Found"/> (a cache, a
/// backbone file, a shard) differs from <see cref="Expected"/> (the request, the head, the first shard)
/// in <see cref="Difference"/>.
/// </summary>
public sealed class FeatureSpaceMismatchException(MismatchSite site, string found, string expected, string difference)
    : PipelineException($"{found} differs from {expected}: {difference}")
{
    /// <summary>Which check refused the pair.</summary>
    public MismatchSite Site { get; } = site;

    /// <summary>What was found (a cache, a head, a backbone file), described.</summary>
    public string Found { get; } = found;

    /// <summary>What it had to match, described.</summary>
    public string Expected { get; } = expected;

    /// <summary>The first differing aspect, both ways, e.g. "backbone resnet18 (sha256 …), not vgg16 (sha256 …)".</summary>
    public string Difference { get; } = difference;
}
