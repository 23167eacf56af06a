namespace Pipeline;

/// <summary>One image of an audit: its split and its path as the cache's manifest has it.</summary>
/// <param name="Split">train, validation, test, or empty for a flat cache.</param>
/// <param name="Path">The image's path, relative to its split folder, as the manifest has it.</param>
public sealed record AuditItem(string Split, string Path);

/// <summary>An image whose label the data disagrees with.</summary>
/// <param name="Split">Its split.</param>
/// <param name="Path">Its path, as the manifest has it.</param>
/// <param name="Label">The class it is filed under.</param>
/// <param name="Predicted">The class a head that never saw it gives it.</param>
/// <param name="Score">The probability of its own label from that head: the lower, the more suspect.</param>
public sealed record LabelSuspect(string Split, string Path, string Label, string Predicted, double Score);

/// <summary>Images whose features are nearly the same: copies, re-encodes, resizes, bursts.</summary>
/// <param name="Similarity">The lowest cosine similarity that links the group (centred features).</param>
/// <param name="Items">The images, in split then path order; for a group of more than 24, 24 examples (every split among them).</param>
/// <param name="Leak">True when the group spans two splits: a test photo that is a copy of a training photo inflates the test accuracy.</param>
public sealed record DuplicateGroup(double Similarity, IReadOnlyList<AuditItem> Items, bool Leak)
{
    /// <summary>Images in the group when it has more than <see cref="Items"/> lists (Items then holds examples); null when Items is the whole group.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Count { get; init; }

    /// <summary>Images in the group, listed or not.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Size => Count ?? Items.Count;
}

/// <summary>An image far from every class: a document scan in a cat folder, a blank frame.</summary>
/// <param name="Split">Its split.</param>
/// <param name="Path">Its path, as the manifest has it.</param>
/// <param name="Score">How far it is from the nearest class centre, in robust standard deviations (1.4826 × MAD) above the median distance.</param>
public sealed record Outlier(string Split, string Path, double Score);

/// <summary>What an audit of a cache found; each list most suspect first.</summary>
/// <param name="LabelSuspects">Images whose label the out-of-fold predictions disagree with (confident learning's per-class thresholds).</param>
/// <param name="Duplicates">Groups of near-duplicates over all splits, leaks first.</param>
/// <param name="Outliers">Images far from every class.</param>
public sealed record AuditReport(IReadOnlyList<LabelSuspect> LabelSuspects, IReadOnlyList<DuplicateGroup> Duplicates, IReadOnlyList<Outlier> Outliers)
{
    /// <summary>The cosine similarity (of centred, L2-normalised features) from which two images count as near-duplicates.</summary>
    public double DuplicateThreshold { get; init; }

    /// <summary>How near-duplicates were searched: exact (every pair compared) or approximate (past 20,000 rows), and over how many comparisons.</summary>
    public string DuplicateSearch { get; init; } = "";

    /// <summary>The cross-validation whose out-of-fold predictions scored the training and validation images.</summary>
    public CrossValidation? CrossValidation { get; init; }

    /// <summary>The audited cache as the caller named it.</summary>
    internal string Cache { get; init; } = "";

    /// <summary>Each split's image folder (a cache manifest's Source), by split name: where the report's thumbnails are read.</summary>
    internal IReadOnlyDictionary<string, string?> Sources { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// Writes <paramref name="dir"/>/index.html (what <c>audit --report</c> writes): one self-contained page with a
    /// thumbnail of every label suspect (its label and the predicted class), the near-duplicate groups side by side
    /// (leaks first) and the outliers, each list most suspect first.
    /// </summary>
    /// <param name="dir">The report's folder (created).</param>
    /// <returns>The page's path.</returns>
    public string WriteReport(string dir) => AuditReportPage.Write(dir, this, Sources, Cache);
}
