namespace Pipeline;

/// <summary>
/// What a multi-label head scored on a test set: per label, precision, recall and F1 at its threshold and its
/// average precision; micro and macro F1, mean average precision and the exact-match (subset) accuracy.
/// </summary>
public sealed record MultiLabelEvaluation
{
    /// <summary>Per label: precision, recall, F1 at its threshold, and the images that have it (support).</summary>
    public required IReadOnlyList<ClassMetrics> PerLabel { get; init; }

    /// <summary>Each label's threshold (its probability must reach it), in label order.</summary>
    public required IReadOnlyList<double> Thresholds { get; init; }

    /// <summary>Each label's average precision, Σₙ (Rₙ − Rₙ₋₁) Pₙ over the ranked probabilities (scikit-learn's average_precision_score); NaN for a label no image has.</summary>
    public required IReadOnlyList<double> AveragePrecision { get; init; }

    /// <summary>F1 of the true and false positives and negatives summed over every label.</summary>
    public required double MicroF1 { get; init; }

    /// <summary>The mean of the per-label F1s (every label counts alike).</summary>
    public required double MacroF1 { get; init; }

    /// <summary>The mean of <see cref="AveragePrecision"/> over the labels some image has.</summary>
    public required double MeanAveragePrecision { get; init; }

    /// <summary>Images whose every label was predicted right (the predicted set equals the true set).</summary>
    public required int ExactMatches { get; init; }

    /// <summary>Exact matches over images: scikit-learn's accuracy_score on label sets.</summary>
    public required double SubsetAccuracy { get; init; }
}
