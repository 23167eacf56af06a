using System.Text.Json;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// <c>merge</c>: joins the shards of each split (<c>CACHE/&lt;split&gt;/shards/I-of-N/</c>, written by
/// <c>extract --shard I/N</c> on any number of machines) into one cache whose manifest lists every
/// shard's files as its parts. Nothing is copied; rows read in shard order.
/// </summary>
internal static class CacheMerge
{
    public const string ShardsFolder = "shards";

    /// <summary>Merges every split under <paramref name="cache"/> (or the cache itself when flat); returns rows per split.</summary>
    public static IReadOnlyList<(string Split, int Shards, int Rows)> Merge(string cache)
    {
        return FeatureCache.SplitFolders(cache).Select(dir => MergeSplit(dir)).ToList();
    }

    private static (string Split, int Shards, int Rows) MergeSplit(string dir)
    {
        string shardsDir = Path.Combine(dir, ShardsFolder);
        if (!Directory.Exists(shardsDir))
        {
            Throw.BadCache(dir, "has no shards/ folder", "extract every shard I of N into it first");
        }

        // Each shard folder with its manifest and its parsed "I/N", parsed once and used for every check below.
        var shards = new List<(string Dir, CacheManifest Manifest, Shard Shard)>();
        foreach (var shardDir in Directory.EnumerateDirectories(shardsDir).Order(StringComparer.Ordinal))
        {
            var m = FeatureCache.ReadManifest(shardDir);
            if (m.Shard is null || !Shard.TryParse(m.Shard, out var shard) || Path.GetFileName(shardDir) != shard.FolderName)
            {
                Throw.BadCache(shardDir, $"manifest's shard field '{m.Shard}' is not I/N matching its folder name", "delete that shard folder and extract that shard again");
                return default;   // not reached: BadCache throws (definite assignment needs it)
            }

            foreach (var part in m.Parts)
            {
                CachePath.Resolve(shardDir, part.Features);
                CachePath.Resolve(shardDir, part.Labels);
                if (part.Targets is { } targets)
                {
                    CachePath.Resolve(shardDir, targets);
                }
            }

            shards.Add((shardDir, m, shard));
        }

        int count = shards.Count == 0 ? 0 : shards[0].Shard.Count;
        var indexes = shards.Select(s => s.Manifest.Shard!).ToList();
        var expected = Enumerable.Range(0, count).Select(i => $"{i}/{count}").ToList();
        if (count == 0 || !expected.All(indexes.Contains) || indexes.Count != count)
        {
            var missing = expected.Except(indexes);
            Throw.BadCache(dir, $"shards are incomplete: have {string.Join(", ", indexes)}, missing {string.Join(", ", missing)}",
                "extract the missing shards (a killed one resumes), then merge again");
        }

        var first = shards[0].Manifest;
        foreach (var m in shards.Skip(1).Select(s => s.Manifest))
        {
            string difference = m.Listing != first.Listing
                ? $"image listing {Sha256.Short(m.Listing ?? "")}, not {Sha256.Short(first.Listing ?? "")} (another data folder?)"
                : m.Space.Mismatch(first.Space, FeatureAspects.All) ?? "";
            if (difference.Length > 0)
            {
                Throw.Mismatch(MismatchSite.Shards, $"shard {m.Shard} of cache '{dir}'", $"shard {first.Shard}", difference);
            }
        }

        // Order shards by index, parts with paths relative to the split folder.
        var ordered = shards.OrderBy(s => s.Shard.Index).ToList();
        var parts = new List<CachePart>();
        foreach (var (shardDir, m, _) in ordered)
        {
            string rel = Path.GetRelativePath(dir, shardDir).Replace('\\', '/');
            // A multi-label shard's targets travel with its rows, as its labels do.
            parts.AddRange(m.Parts.Select(p => new CachePart($"{rel}/{p.Features}", $"{rel}/{p.Labels}", p.Rows) { Targets = p.Targets is null ? null : $"{rel}/{p.Targets}" }));
        }

        var merged = first with
        {
            Shard = null,
            Parts = parts,
            Items = ordered.SelectMany(s => s.Manifest.Items).ToList(),
            Skipped = ordered.SelectMany(s => s.Manifest.Skipped).ToList(),
        };
        AtomicFile.Write(Path.Combine(dir, FeatureCache.ManifestFile), stream => JsonSerializer.Serialize(stream, merged, JsonFormats.Indented));
        return (first.Split, count, merged.Items.Count);
    }
}
