using Pipeline.Extractor.Cache;

namespace Pipeline.Extractor;

/// <summary>Everything <c>extract</c> takes.</summary>
public sealed record ExtractionOptions
{
    public required string Data { get; init; }

    public required string Out { get; init; }

    public BackboneSpec Backbone { get; init; } = new();

    /// <summary>Images per inference call.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Decode/preprocess threads; 0 chooses from the core count.</summary>
    public int Workers { get; init; }

    /// <summary>float32 or float16 on disk.</summary>
    public string Dtype { get; init; } = "float32";

    /// <summary>Discard a cache or partial run made with another backbone or preprocessing.</summary>
    public bool Force { get; init; }

    public long MaxPixels { get; init; } = Images.ImageDecoder.DefaultMaxPixels;

    /// <summary>Random views to cache for the training split (a flat dataset counts as training); null for none.</summary>
    public Augmentation? Augment { get; init; }

    /// <summary>Also cache each image's horizontal mirror in the other splits (for <c>evaluate --tta flip</c>).</summary>
    public bool MirrorViews { get; init; }

    /// <summary>Extract only shard Index of Count (every Count-th image, from Index): one task of a Slurm array or Kubernetes Indexed Job.</summary>
    public Shard? Shard { get; init; }
}

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/>: the images whose position in the sorted listing
/// is Index modulo Count (all views of an image go to the same shard). Each shard is written as a
/// cache of its own under <c>CACHE/&lt;split&gt;/shards/I-of-N/</c>; <c>merge</c> joins them as parts.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public string FolderName => $"{Index}-of-{Count}";

    public bool Holds(int item) => item % Count == Index;

    /// <summary>Parses "I/N" (0 ≤ I &lt; N).</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
        {
            throw new PipelineException($"--shard '{text}' is not I/N with 0 <= I < N",
                "pass e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT or --shard $JOB_COMPLETION_INDEX/4", ExitCode.BadArgument);
        }

        return new Shard(i, n);
    }

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>Seconds spent per stage, summed over the threads that ran it.</summary>
public sealed record StageSeconds(double Read, double Decode, double Preprocess, double Inference, double Write);

/// <summary>The outcome of one split.</summary>
public sealed record SplitReport(
    string Split, string CacheDir, int Images, int Computed, int Reused, IReadOnlyList<SkippedItem> Skipped,
    double Seconds, StageSeconds Stages)
{
    public double ImagesPerSecond => Computed == 0 ? 0 : Computed / Math.Max(Seconds, 1e-9);
}

/// <summary>The outcome of an <c>extract</c> run.</summary>
public sealed record ExtractionReport(
    string Cache, BackboneInfo Backbone, string Device, int Batch, int Workers, IReadOnlyList<SplitReport> Splits)
{
    public int Computed => Splits.Sum(s => s.Computed);

    public int SkippedCount => Splits.Sum(s => s.Skipped.Count);

    public double Seconds => Splits.Sum(s => s.Seconds);

    public double ImagesPerSecond => Computed == 0 ? 0 : Computed / Math.Max(Seconds, 1e-9);
}

/// <summary>Where extraction reports progress; the CLI draws a bar or prints lines.</summary>
public interface IExtractionProgress
{
    void Info(string line);

    void Begin(string split, int total, int alreadyDone);

    void Advance(int images, int skipped);

    void End();
}

internal sealed class SilentProgress : IExtractionProgress
{
    public static readonly SilentProgress Instance = new();

    public void Info(string line) { }

    public void Begin(string split, int total, int alreadyDone) { }

    public void Advance(int images, int skipped) { }

    public void End() { }
}
