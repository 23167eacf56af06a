namespace Pipeline;

/// <summary>
/// Feature caches as folders: which splits one holds, what each split holds (<c>info</c>), and joining the shards
/// that <c>extract --shard I/N</c> tasks wrote (<c>merge</c>). Extraction itself is <c>TransferLearning.Extract</c>.
/// </summary>
public static class Caches
{
    /// <summary>The split names of a split root (train, validation, test), or one empty name for a single cache.</summary>
    /// <param name="cache">A cache folder written by extract.</param>
    public static IReadOnlyList<string> Splits(string cache) => FeatureCache.SplitsOf(cache);

    /// <summary>
    /// What each split of <paramref name="cache"/> holds. Opening a split validates every part (a plain relative path
    /// inside the cache, the .npy header's dtype and shape against the manifest, the file long enough, labels in range).
    /// </summary>
    /// <param name="cache">A cache folder written by extract, or a split root.</param>
    /// <param name="checkFinite">Also read every row and refuse a non-finite one.</param>
    /// <exception cref="Pipeline.CacheException">A part is missing, damaged or does not match the manifest.</exception>
    public static IReadOnlyList<CacheInfo> Info(string cache, bool checkFinite = false)
    {
        var infos = new List<CacheInfo>();
        foreach (string dir in FeatureCache.SplitFolders(cache))
        {
            using var open = FeatureCache.Open(dir);
            if (checkFinite)
            {
                open.CheckRowsFinite();
            }

            infos.Add(CacheInfo.Of(open.Manifest));
        }

        return infos;
    }

    /// <summary>Joins the shards of each split (their files become the split's parts; nothing is copied).</summary>
    /// <param name="cache">The <c>--out</c> folder every <c>extract --shard I/N</c> task wrote to.</param>
    /// <returns>Per split: the shards merged and the rows the merged cache holds.</returns>
    /// <exception cref="Pipeline.CacheException">A shard is missing, incomplete or of another data folder.</exception>
    /// <exception cref="Pipeline.FeatureSpaceMismatchException">Shards were made in different feature spaces.</exception>
    public static IReadOnlyList<MergedSplit> Merge(string cache) =>
        CacheMerge.Merge(cache).Select(m => new MergedSplit { Split = m.Split, Shards = m.Shards, Rows = m.Rows }).ToList();
}
