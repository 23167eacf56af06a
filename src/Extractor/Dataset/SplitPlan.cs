namespace Pipeline.Extractor.Dataset;

/// <summary>One row to cache: an image and which view of it.</summary>
internal sealed record PlanRow(int Item, RowKind? Kind, int View)
{
    public string Id(DatasetSplit split) => CacheItem.RowIdOf(split.Items[Item].RelativePath, Kind, View);
}

/// <summary>
/// The rows of one split's cache, in order: per image its clean row, then its random views
/// (training split with --augment) or its mirror (other splits with --tta flip).
/// </summary>
internal sealed class SplitPlan
{
    private SplitPlan(DatasetSplit split, IReadOnlyList<PlanRow> rows, Augmentation? augmentation, bool mirrors, Shard? shard)
    {
        Shard = shard;
        Split = split;
        Rows = rows;
        Augmentation = augmentation;
        Mirrors = mirrors;
    }

    public DatasetSplit Split { get; }

    public IReadOnlyList<PlanRow> Rows { get; }

    public Augmentation? Augmentation { get; }

    public bool Mirrors { get; }

    public Shard? Shard { get; }

    public static bool IsTraining(DatasetSplit split) => SplitName.IsTraining(split.Name);

    public static SplitPlan For(DatasetSplit split, ExtractionOptions options)
    {
        bool training = IsTraining(split);
        var augmentation = training && options.Augment is { Views: > 0 } a ? a : null;
        bool mirrors = !training && options.MirrorViews;
        var rows = new List<PlanRow>();
        for (int i = 0; i < split.Items.Count; i++)
        {
            if (options.Shard is { } shard && !shard.Holds(i))
            {
                continue;
            }

            rows.Add(new PlanRow(i, null, 0));
            for (int v = 1; v <= (augmentation?.Views ?? 0); v++)
            {
                rows.Add(new PlanRow(i, RowKind.Augmented, v));
            }

            if (mirrors)
            {
                rows.Add(new PlanRow(i, RowKind.Mirror, 1));
            }
        }

        return new SplitPlan(split, rows, augmentation, mirrors, options.Shard);
    }

    /// <summary>What the fingerprint adds for this split's views.</summary>
    public string Describe() => FeatureSpace.ViewsOf(Augmentation, Mirrors);

    public ViewTransform? Transform(PlanRow row, Preprocessing p) => row.Kind switch
    {
        null => null,
        RowKind.Mirror => ViewTransform.Mirror(p.Width),
        _ => Augmentation!.For(Split.Items[row.Item].RelativePath, row.View, p.Width, p.Height),
    };
}
