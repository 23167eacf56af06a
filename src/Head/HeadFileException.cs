namespace Pipeline;

/// <summary>A head folder without its files, or with files this version cannot read.</summary>
public sealed class HeadFileException(string folder, string problem, string? remedy = null)
    : PipelineException($"head '{folder}': {problem}", remedy)
{
    /// <summary>The head's folder.</summary>
    public string Folder { get; } = folder;
}
