using System.Text.Json;
using Pipeline.Extractor.Internals;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// <c>merge</c>: joins the shards of each split (<c>CACHE/&lt;split&gt;/shards/I-of-N/</c>, written by
/// <c>extract --shard I/N</c> on any number of machines) into one cache whose manifest lists every
/// shard's files as its parts. Nothing is copied; rows read in shard order.
/// </summary>
public static class CacheMerge
{
    public const string ShardsFolder = "shards";

    /// <summary>Merges every split under <paramref name="cache"/> (or the cache itself when flat); returns rows per split.</summary>
    public static IReadOnlyList<(string Split, int Shards, int Rows)> Merge(string cache)
    {
        var root = FeatureCache.TryReadSplitRoot(cache);
        var dirs = root is null ? [cache] : root.Splits.Select(s => Path.Combine(cache, s)).ToList();
        return dirs.Select(dir => MergeSplit(dir)).ToList();
    }

    private static (string Split, int Shards, int Rows) MergeSplit(string dir)
    {
        string shardsDir = Path.Combine(dir, ShardsFolder);
        if (!Directory.Exists(shardsDir))
        {
            Throw.BadCache(dir, "has no shards/ folder", "run 'extract --shard I/N' for every I first");
        }

        var shardDirs = Directory.EnumerateDirectories(shardsDir).Order(StringComparer.Ordinal).ToList();
        var manifests = shardDirs.Select(FeatureCache.ReadManifest).ToList();
        var shards = new List<Shard>();
        foreach (var (shardDir, m) in shardDirs.Zip(manifests))
        {
            Shard shard = new(0, 1);
            if (m.Shard is null || !Shard.TryParse(m.Shard, out shard) || Path.GetFileName(shardDir) != shard.FolderName)
            {
                Throw.BadCache(shardDir, $"manifest's shard field '{m.Shard}' is not I/N matching its folder name", "delete that shard folder and run its 'extract --shard I/N' again");
            }

            foreach (var part in m.Parts)
            {
                CachePath.Resolve(shardDir, part.Features);
                CachePath.Resolve(shardDir, part.Labels);
            }

            shards.Add(shard);
        }

        int count = shards.Count == 0 ? 0 : shards[0].Count;
        var indexes = manifests.Select(m => m.Shard).ToList();
        var expected = Enumerable.Range(0, count).Select(i => $"{i}/{count}").ToList();
        if (count == 0 || !expected.All(indexes.Contains) || indexes.Count != count)
        {
            var missing = expected.Except(indexes.OfType<string>());
            Throw.BadCache(dir, $"shards are incomplete: have {string.Join(", ", indexes)}, missing {string.Join(", ", missing)}",
                "run the missing 'extract --shard I/N' tasks (a killed one resumes), then merge again");
        }

        var first = manifests[0];
        foreach (var m in manifests.Skip(1))
        {
            if (m.Listing != first.Listing)
            {
                Throw.CacheMismatch(dir, "shards of different image listings (another data folder?):", $"shard {first.Shard} (listing {first.Listing?[..12]})", $"shard {m.Shard} (listing {m.Listing?[..12]})");
            }

            if (m.Backbone.Sha256 != first.Backbone.Sha256 || !m.Preprocessing.SameAs(first.Preprocessing) || m.Features.Dtype != first.Features.Dtype
                || !m.Classes.SequenceEqual(first.Classes) || m.Augmentation?.Describe() != first.Augmentation?.Describe() || m.Mirrors != first.Mirrors)
            {
                Throw.CacheMismatch(dir, "shards of different backbones, preprocessing, dtype, classes or views:", $"shard {first.Shard} ({first.Backbone.Describe()})", $"shard {m.Shard} ({m.Backbone.Describe()})");
            }
        }

        // Order shards by index, parts with paths relative to the split folder.
        var ordered = shardDirs.Zip(manifests).OrderBy(x => int.Parse(x.Second.Shard!.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var parts = new List<CachePart>();
        foreach (var (shardDir, m) in ordered)
        {
            string rel = Path.GetRelativePath(dir, shardDir).Replace('\\', '/');
            parts.AddRange(m.Parts.Select(p => new CachePart($"{rel}/{p.Features}", $"{rel}/{p.Labels}", p.Rows)));
        }

        var merged = first with
        {
            Shard = null,
            Parts = parts,
            Items = ordered.SelectMany(x => x.Second.Items).ToList(),
            Skipped = ordered.SelectMany(x => x.Second.Skipped).ToList(),
        };
        PartialStore.WriteAtomic(Path.Combine(dir, FeatureCache.ManifestFile), JsonSerializer.SerializeToUtf8Bytes(merged, CacheManifest.Json));
        return (first.Split, count, merged.Items.Count);
    }
}
