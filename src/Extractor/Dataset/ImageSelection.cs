using System.Buffers.Binary;
using System.Text;

namespace Pipeline;

/// <summary>
/// Which images of a folder go to which split, without copying a file. Each image's place comes from a
/// hash of its path relative to the dataset root and the seed, never from its position in the listing:
/// the same on every machine and in every shard, and stable as files come and go.
/// <list type="bullet">
/// <item>Fractions (<c>train=0.8,…</c>): the image's hash, as a number in [0, 1), falls into one split's
/// interval, so adding or removing images never moves another one. Sizes follow the fractions up to
/// sampling noise (± about √(n·f·(1−f)) images per class).</item>
/// <item>Counts (<c>train=500,…</c>): per class, images sorted by hash fill train, then validation, then
/// test, with exactly those counts; adding images can move one only by taking its place in the order.</item>
/// <item>A sample (<c>--sample 500</c>) keeps, per class, the N images of a split with the smallest
/// hashes under a second salt, so it is independent of the split assignment.</item>
/// </list>
/// </summary>
public sealed record ImageSelection(SplitRule? Split, SplitRule? Sample, int Seed)
{
    /// <summary>What a cache records and compares: the rule, sample and seed, or null when nothing is selected.</summary>
    public string? Describe() => Split is null && Sample is null ? null
        : string.Join("; ", new[] { Split is null ? null : $"split {Split}", Sample is null ? null : $"sample {Sample} per class", $"seed {Seed}" }.OfType<string>());

    /// <summary>The hash of one image under a salt, as a number in [0, 1).</summary>
    public double Hash(string salt, string relativePath)
    {
        Span<byte> digest = stackalloc byte[32];
        Sha256.Of(Encoding.UTF8.GetBytes($"{salt}:{Seed}:{relativePath}"), digest);
        return (BinaryPrimitives.ReadUInt64BigEndian(digest) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>
    /// Assigns the items of a flat folder (paths relative to its root) to the rule's splits, in the usual
    /// split order. Throws when a split would get no image of some class.
    /// </summary>
    internal IReadOnlyList<(string Name, IReadOnlyList<ImageItem> Items)> Assign(string root, IReadOnlyList<ImageItem> items, IReadOnlyList<string> classes)
    {
        var rule = Split!;
        var bySplit = rule.Shares.ToDictionary(s => s.Split, _ => new List<ImageItem>());
        var upperEdges = rule.Shares.Select((_, i) => rule.Shares.Take(i + 1).Sum(s => s.Share)).ToArray();   // fractions: split i is [edge i−1, edge i)
        foreach (var group in items.GroupBy(i => i.Label))
        {
            if (!rule.Counts && rule.Shares.FirstOrDefault(s => s.Share * group.Count() < 0.5) is { Split: not null } tiny)
            {
                throw new DataLayoutException(root, $"the split {rule} gives '{tiny.Split}' {tiny.Share * group.Count():F2} of the {group.Count()} images of class '{classes[group.Key]}': that rounds to none",
                    "raise that split's share, or give the class more images");
            }

            var ranked = group.Select(i => (Item: i, U: Hash("split", i.RelativePath))).OrderBy(x => x.U).ThenBy(x => x.Item.RelativePath, StringComparer.Ordinal).ToList();
            if (rule.Counts)
            {
                int need = (int)rule.Shares.Sum(s => s.Share);
                if (ranked.Count < need)
                {
                    throw new DataLayoutException(root, $"class '{classes[group.Key]}' has {ranked.Count} images, the split {rule} needs {need}",
                        "lower the counts, or give the class more images");
                }

                int at = 0;
                foreach (var (split, share) in rule.Shares)
                {
                    bySplit[split].AddRange(ranked.Skip(at).Take((int)share).Select(x => x.Item));
                    at += (int)share;
                }
            }
            else
            {
                foreach (var (item, u) in ranked)
                {
                    int i = Array.FindIndex(upperEdges, edge => u < edge);
                    if (i >= 0)
                    {
                        bySplit[rule.Shares[i].Split].Add(item);   // past the last edge (shares summing below 1): unused
                    }
                }
            }
        }

        var result = new List<(string, IReadOnlyList<ImageItem>)>();
        foreach (var (split, _) in rule.Shares)
        {
            var chosen = ApplySample(split, bySplit[split]);
            foreach (var (name, label) in classes.Select((c, i) => (c, i)))
            {
                int n = chosen.Count(i => i.Label == label);
                if (n == 0)
                {
                    int total = items.Count(i => i.Label == label);
                    throw new DataLayoutException(root, $"the split {rule} gives '{split}' no images of class '{name}' ({total} images; a share of {rule.ShareOf(split):G} rounds to {rule.ShareOf(split) * total:F1})",
                        "raise that split's share, or give the class more images");
                }
            }

            result.Add((split, chosen.OrderBy(i => i.RelativePath, StringComparer.Ordinal).ToList()));
        }

        return result;
    }

    /// <summary>The sample's subset of one split (all of it when the sample does not name that split).</summary>
    internal IReadOnlyList<ImageItem> ApplySample(string split, IReadOnlyList<ImageItem> items)
    {
        double n = Sample?.ShareOf(SplitName.IsTraining(split) ? SplitName.Train : SplitName.Canonical(split)) ?? 0;
        if (n == 0)
        {
            return items;
        }

        return items.GroupBy(i => i.Label)
            .SelectMany(g => Sample!.Counts
                ? g.OrderBy(i => Hash("sample", i.RelativePath)).ThenBy(i => i.RelativePath, StringComparer.Ordinal).Take((int)n)
                : g.Where(i => Hash("sample", i.RelativePath) < n))
            .OrderBy(i => i.RelativePath, StringComparer.Ordinal).ToList();
    }
}
