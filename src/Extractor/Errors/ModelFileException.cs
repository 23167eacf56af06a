namespace Pipeline;

/// <summary>A model file that is missing, not ONNX, or not an image backbone this tool can run.</summary>
public sealed class ModelFileException(string file, string problem, string? remedy = null, Exception? inner = null)
    : PipelineException($"model '{file}': {problem}", remedy, inner)
{
    /// <summary>The model file.</summary>
    public string File { get; } = file;
}
