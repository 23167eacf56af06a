namespace Pipeline;

/// <summary>Another process holds the cache's write lock (another extract into the same folder).</summary>
public sealed class CacheLockedException(string cache, Exception? inner = null)
    : PipelineException($"cache '{cache}' is being written by another extract right now", null, inner)
{
    /// <summary>The cache folder another extract is writing.</summary>
    public string Cache { get; } = cache;
}
