namespace Pipeline;

/// <summary>An image folder that cannot be a labelled dataset (missing, no class folders, one class, no images).</summary>
public sealed class DataLayoutException(string folder, string problem, string? remedy = null)
    : PipelineException($"data folder '{folder}': {problem}", remedy)
{
    /// <summary>The folder whose layout is wrong.</summary>
    public string Folder { get; } = folder;
}
