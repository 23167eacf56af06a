namespace Pipeline;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/>: the images whose position in the sorted listing
/// is Index modulo Count (all views of an image go to the same shard). Each shard is written as a
/// cache of its own under <c>CACHE/&lt;split&gt;/shards/I-of-N/</c>; <c>merge</c> joins them as parts.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    /// <summary>The shard's folder below its split: <c>I-of-N</c>.</summary>
    public string FolderName => $"{Index}-of-{Count}";

    /// <summary>Whether the image at position <paramref name="item"/> of the sorted listing is in this shard.</summary>
    public bool Holds(int item) => item % Count == Index;

    /// <summary>Parses "I/N" (0 ≤ I &lt; N).</summary>
    public static Shard Parse(string text)
    {
        if (!TryParse(text, out var shard))
        {
            throw new InvalidSettingException("shard", text, "I/N with 0 <= I < N, e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT or $JOB_COMPLETION_INDEX/4");
        }

        return shard;
    }

    /// <summary>Parses "I/N" (0 ≤ I &lt; N); false when <paramref name="text"/> is not of that form.</summary>
    public static bool TryParse(string text, out Shard shard)
    {
        var parts = text.Split('/');
        shard = new Shard(0, 1);
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
        {
            return false;
        }

        shard = new Shard(i, n);
        return true;
    }

    /// <summary>"I/N", as <c>--shard</c> takes it.</summary>
    public override string ToString() => $"{Index}/{Count}";
}
