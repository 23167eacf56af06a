namespace Pipeline;

/// <summary>One image's prediction: the classes most likely first with their probabilities, or why it was skipped.</summary>
/// <param name="File">The file, or the name given to an image in memory.</param>
/// <param name="Top">The most likely classes, most likely first, with their probabilities.</param>
/// <param name="Skipped">Why the image could not be read or decoded; null when it was classified.</param>
public sealed record Prediction(string File, IReadOnlyList<(string Class, double Probability)> Top, string? Skipped)
{
    /// <summary>The most likely class; null when the image was skipped.</summary>
    public string? Label => Top.Count > 0 ? Top[0].Class : null;

    /// <summary>Its probability; 0 when the image was skipped.</summary>
    public double Probability => Top.Count > 0 ? Top[0].Probability : 0;

    /// <summary>
    /// A multi-label head's answer: every label whose probability reaches its threshold, in label order (possibly
    /// none); empty for a single-label head (whose answer is <see cref="Label"/>) and for a skipped image.
    /// </summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
}
