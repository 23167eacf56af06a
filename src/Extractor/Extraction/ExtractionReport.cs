namespace Pipeline;

/// <summary>Seconds spent per stage, summed over the threads that ran it.</summary>
public sealed record StageSeconds(double Read, double Decode, double Preprocess, double Inference, double Write);

/// <summary>The outcome of one split.</summary>
public sealed record SplitReport
{
    /// <summary>The split's name (empty for a folder of images with no splits).</summary>
    public required string Split { get; init; }

    /// <summary>The split's cache folder.</summary>
    public required string CacheDir { get; init; }

    /// <summary>Images the split's cache holds.</summary>
    public required int Images { get; init; }

    /// <summary>Images run through the backbone in this run.</summary>
    public required int Computed { get; init; }

    /// <summary>Rows reused from an earlier run.</summary>
    public required int Reused { get; init; }

    /// <summary>Files skipped, each with its reason.</summary>
    public required IReadOnlyList<SkippedItem> Skipped { get; init; }

    /// <summary>Wall time of the split.</summary>
    public required double Seconds { get; init; }

    /// <summary>Seconds per stage, summed over the threads that ran it.</summary>
    public required StageSeconds Stages { get; init; }

    /// <summary>Images computed per second of the split's wall time (0 when all were reused).</summary>
    public double ImagesPerSecond => Computed == 0 ? 0 : Computed / Math.Max(Seconds, 1e-9);
}

/// <summary>The outcome of an <c>extract</c> run.</summary>
public sealed record ExtractionReport
{
    /// <summary>The cache folder written.</summary>
    public required string Cache { get; init; }

    /// <summary>The backbone that computed the features.</summary>
    public required BackboneInfo Backbone { get; init; }

    /// <summary>The device it ran on, in words.</summary>
    public required string Device { get; init; }

    /// <summary>Images per inference call.</summary>
    public required int Batch { get; init; }

    /// <summary>Decode workers.</summary>
    public required int Workers { get; init; }

    /// <summary>Each split's outcome, in the dataset's order.</summary>
    public required IReadOnlyList<SplitReport> Splits { get; init; }

    /// <summary>Images run through the backbone, over every split.</summary>
    public int Computed => Splits.Sum(s => s.Computed);

    /// <summary>Files skipped, over every split (each listed with its reason in its split).</summary>
    public int SkippedCount => Splits.Sum(s => s.Skipped.Count);

    /// <summary>Wall time, over every split.</summary>
    public double Seconds => Splits.Sum(s => s.Seconds);

    /// <summary>Images computed per second of wall time.</summary>
    public double ImagesPerSecond => Computed == 0 ? 0 : Computed / Math.Max(Seconds, 1e-9);
}
