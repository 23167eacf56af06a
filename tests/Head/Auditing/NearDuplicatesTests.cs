using TorchSharp;

namespace Pipeline.Tests.Head.Auditing;

/// <summary>Near-duplicate grouping on the fly (issue 30, item 2): the union-find passes against a plain all-pairs reference.</summary>
public sealed class NearDuplicatesTests
{
    private const int F = 64;

    /// <summary>(n, F) unit rows: <paramref name="clusters"/> random directions with copies at cosine ≈ 0.98, the rest distinct (cosine ≈ 0 ± 0.13).</summary>
    private static float[] Clustered(int n, int clusters, int copies, int seed)
    {
        var rng = new Random(seed);
        var rows = new float[n * F];
        float[] Direction()
        {
            var v = Enumerable.Range(0, F).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
            float norm = MathF.Sqrt(v.Sum(a => a * a));
            return v.Select(a => a / norm).ToArray();
        }

        int row = 0;
        for (int c = 0; c < clusters && row < n; c++)
        {
            var centre = Direction();
            for (int k = 0; k < copies && row < n; k++, row++)
            {
                var noise = Direction();
                for (int j = 0; j < F; j++)
                {
                    rows[(row * F) + j] = centre[j] + (0.15f * noise[j]);
                }
            }
        }

        for (; row < n; row++)
        {
            Direction().CopyTo(rows, row * F);
        }

        // Shuffle rows, so groups are not contiguous blocks.
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var shuffled = new float[rows.Length];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(rows, order[i] * F, shuffled, i * F, F);
        }

        return shuffled;
    }

    private static torch.Tensor Normalised(float[] rows, int n) => torch.nn.functional.normalize(torch.tensor(rows, [n, F]), dim: 1);

    /// <summary>The plain version: every pair's dot product, a pair list, union-find.</summary>
    private static List<int[]> ReferenceGroups(float[] x, int n, double threshold)
    {
        var sets = new DisjointSets(n);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (System.Numerics.Tensors.TensorPrimitives.Dot(x.AsSpan(i * F, F), x.AsSpan(j * F, F)) >= threshold)
                {
                    sets.Union(i, j);
                }
            }
        }

        return Partition(sets);
    }

    private static List<int[]> Partition(DisjointSets sets) => Enumerable.Range(0, sets.Count).GroupBy(sets.Find).Where(g => g.Count() > 1)
        .Select(g => g.Order().ToArray()).OrderBy(g => g[0]).ToList();

    [Fact]
    public void BlockedUnionFindFindsTheSameGroupsAsEveryPair()
    {
        const int n = 3000;
        using var x = Normalised(Clustered(n, clusters: 60, copies: 30, seed: 1), n);
        var plain = x.data<float>().ToArray();
        var (sets, link, method) = NearDuplicates.Find(x, n, 0.9);
        var expected = ReferenceGroups(plain, n, 0.9);
        Assert.Equal(60, expected.Count);
        Assert.Equal(expected, Partition(sets));
        Assert.StartsWith("exact", method, StringComparison.Ordinal);
        Assert.All(link, l => Assert.True(l == 2f || l >= 0.9f, $"link {l}"));
    }

    /// <summary>Past the crossover the leader search runs; on well-separated groups it finds the exact groups.</summary>
    [Fact]
    public void LeaderSearchFindsWellSeparatedGroups()
    {
        const int n = 4000;
        using var x = Normalised(Clustered(n, clusters: 80, copies: 40, seed: 2), n);
        var (exact, _, _) = NearDuplicates.Find(x, n, 0.9);
        var (approximate, _, method) = NearDuplicates.Find(x, n, 0.9, approximateFrom: 1000);
        Assert.StartsWith("approximate", method, StringComparison.Ordinal);
        Assert.Equal(Partition(exact), Partition(approximate));
    }

    /// <summary>A burst of 5,000 near-identical rows, one of them in test: one group, its size counted, 24 examples listed, the leak shown.</summary>
    [Fact]
    public void OneHugeGroupIsOneEntryWithACountAndExamples()
    {
        const int n = 5200;
        var rows = Clustered(n, clusters: 1, copies: 5000, seed: 3);
        using var x = Normalised(rows, n);
        var (sets, link, _) = NearDuplicates.Find(x, n, 0.9);
        var burst = Partition(sets).Single(g => g.Length >= 5000);
        var items = Enumerable.Range(0, n).Select(i => new AuditItem(i == burst[^1] ? "test" : "train", $"img{i:D5}.jpg")).ToArray();
        var groups = DatasetAudit.Groups(sets, link, items);
        var group = groups.Single(g => g.Size >= 5000);
        Assert.Equal(5000, group.Count);
        Assert.Equal(DatasetAudit.MaxGroupExamples, group.Items.Count);
        Assert.True(group.Leak);
        Assert.Contains(items[burst[^1]], group.Items);
        Assert.True(group.Similarity >= 0.9, $"lowest link {group.Similarity}");
    }
}
