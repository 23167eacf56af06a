using System.Collections;

namespace Pipeline;

/// <summary>One image a label file lists: the prediction, the file's label (null where it has none) and whether they agree.</summary>
public sealed record ListedPrediction
{
    /// <summary>The image's prediction (or its skip reason).</summary>
    public required Prediction Prediction { get; init; }

    /// <summary>The label the file gives it; null where the file has no label column or the cell is blank.</summary>
    public string? Label { get; init; }

    /// <summary>Whether the most likely class is that label; null where it was not scored (no label, a label the head does not know, a skipped image, a multi-label head).</summary>
    public bool? Correct { get; init; }
}

/// <summary>
/// The predictions for the images a label file lists (<see cref="Classifier.PredictListed"/>), made lazily as they are
/// enumerated, in the file's order; enumerate them once. The rows left out and, for labelled rows, the accuracy are
/// complete once the enumeration ends.
/// </summary>
public sealed class ListedPredictions : IEnumerable<ListedPrediction>
{
    private readonly List<string> _problems = [];
    private readonly IReadOnlyList<string> _classes;
    private readonly bool _scored;
    private IEnumerable<ListedPrediction> _source = [];

    internal ListedPredictions(IReadOnlyList<string> classes, bool scored)
    {
        _classes = classes;
        _scored = scored;
    }

    /// <summary>One line per row left out or not scored: the file, the line and why.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>Images scored: with a label the head knows, not skipped.</summary>
    public int Labelled { get; private set; }

    /// <summary>Of those, how many the head's most likely class got right.</summary>
    public int Correct { get; private set; }

    /// <summary>Correct / Labelled; NaN before any labelled image.</summary>
    public double Accuracy => Labelled == 0 ? double.NaN : (double)Correct / Labelled;

    /// <summary>The lower end of the accuracy's 95 % Wilson interval.</summary>
    public double AccuracyLow => Wilson.Interval(Correct, Labelled).Low;

    /// <summary>The upper end of the accuracy's 95 % Wilson interval.</summary>
    public double AccuracyHigh => Wilson.Interval(Correct, Labelled).High;

    internal List<string> ProblemList => _problems;

    internal IEnumerable<ListedPrediction> Source
    {
        set => _source = value;
    }

    /// <summary>Runs the predictions as they are asked for; once.</summary>
    public IEnumerator<ListedPrediction> GetEnumerator() => _source.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal ListedPrediction Score(Prediction p, string? label)
    {
        bool? correct = null;
        if (label is not null && p.Skipped is null && _scored)
        {
            if (_classes.Contains(label, StringComparer.Ordinal))
            {
                correct = p.Label == label;
                Labelled++;
                Correct += correct.Value ? 1 : 0;
            }
            else
            {
                _problems.Add($"{p.File}: label '{label}' is not one of the head's classes ({string.Join(", ", _classes.Take(10))}{(_classes.Count > 10 ? ", …" : "")}); not scored");
            }
        }

        return new ListedPrediction { Prediction = p, Label = label, Correct = correct };
    }
}
