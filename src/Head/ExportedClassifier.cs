namespace Pipeline;

/// <summary>What <see cref="Classifier.Export"/> wrote: the file, and how another runtime feeds and reads it.</summary>
public sealed record ExportedClassifier
{
    /// <summary>The .onnx file.</summary>
    public required string File { get; init; }

    /// <summary>Its size in bytes.</summary>
    public required long Bytes { get; init; }

    /// <summary>The input's name: (N, <see cref="Height"/>, <see cref="Width"/>, 3) uint8 RGB.</summary>
    public required string Input { get; init; }

    /// <summary>The input's width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>The input's height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>How a photo is resized to the input first, as the tool does it.</summary>
    public required string Resize { get; init; }

    /// <summary>The output's name: (N, classes) float32 probabilities.</summary>
    public required string Output { get; init; }

    /// <summary>Class names, in the output's order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
}
