namespace Pipeline;

/// <summary>A feature cache that is missing, damaged, from a newer tool, or incomplete (shards).</summary>
public sealed class CacheException(string cache, string problem, string? remedy = null)
    : PipelineException($"cache '{cache}': {problem}", remedy)
{
    /// <summary>The cache folder.</summary>
    public string Cache { get; } = cache;
}
