using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Auditing;

/// <summary>
/// Near-duplicate rows of centred, L2-normalised features (N, F), grouped on the fly by union-find: memory is
/// O(N) however many pairs are over the threshold (every row of a burst is a near-duplicate of every other).
/// Up to <see cref="ApproximateFrom"/> rows, every pair is compared (exact); past it, each row is compared only
/// with leaders (the first row of each group found so far): O(N × groups), approximate.
/// </summary>
internal static class NearDuplicates
{
    /// <summary>Rows from which the all-pairs pass gives way to the leader search: measured (docs/scale.md), all pairs of 40,000 near-duplicate rows took 108 s on 2 loaded cores, the leader search 2.3 s for 160,000.</summary>
    public const int ApproximateFrom = 20_000;

    /// <summary>Most leaders the approximate search keeps; a row like none of them stays ungrouped.</summary>
    public const int MaxLeaders = 20_000;

    /// <summary>Elements of one (rows, N) slice of the similarity matrix: 8 M floats, 32 MB.</summary>
    private const long BlockElements = 8L << 20;

    /// <summary>Union-find sets of rows and, per row, the lowest similarity over the threshold it has to a later row (2 for none).</summary>
    public static (DisjointSets Sets, float[] Link, string Method) Find(Tensor x, int n, double threshold, int approximateFrom = ApproximateFrom)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var sets = new DisjointSets(n);
        var link = new float[n];
        Array.Fill(link, 2f);
        using var min = threshold.ToScalar();
        using var none = 2f.ToScalar();
        if (n < approximateFrom)
        {
            Exact(x, n, min, none, sets, link);
            return (sets, link, $"exact: all {(long)n * (n - 1) / 2:N0} pairs compared");
        }

        int leaders = Leaders(x, n, (float)threshold, min, none, sets, link);
        return (sets, link, $"approximate: {n:N0} rows over {approximateFrom:N0}, each compared with {leaders:N0} group leaders (pairs of rows that match no common leader can be missed)");
    }

    /// <summary>
    /// All pairs i &lt; j, a (b, N − start) slice of X·Xᵀ at a time. The hits of a slice merge their sets by a few
    /// rounds of min-label passes (each row joins the smallest other set it hits, each column likewise), so pairs
    /// are never enumerated: a slice of rows that are all one group costs a round, not b × N unions.
    /// </summary>
    private static void Exact(Tensor x, int n, Scalar min, Scalar none, DisjointSets sets, float[] link)
    {
        var roots = new int[n];
        for (int i = 0; i < n; i++)
        {
            roots[i] = i;
        }

        int block = (int)Math.Clamp(BlockElements / n, 16, 1024);
        for (int start = 0; start < n; start += block)
        {
            using var slice = torch.NewDisposeScope();
            int b = Math.Min(block, n - start), m = n - start;
            var sims = x.narrow(0, start, b).matmul(x.narrow(0, start, m).T);   // (b, m): row r is i = start + r, column c is j = start + c
            var hit = sims.ge(min).triu(1);                                      // j > i only
            if (!hit.any().item<bool>())
            {
                continue;
            }

            var lowest = sims.masked_fill(hit.logical_not(), none).amin(1).data<float>().ToArray();   // (b)
            for (int r = 0; r < b; r++)
            {
                link[start + r] = Math.Min(link[start + r], lowest[r]);
            }

            var miss = hit.logical_not();
            while (true)
            {
                // Set labels of columns start..n-1 (rows are its first b): possibly stale, never wrong (a set only grows).
                var lc = tensor(roots.AsSpan(start, m).ToArray(), [m], ScalarType.Int32);
                var lr = lc.narrow(0, 0, b);
                var pending = hit.logical_and(lr.unsqueeze(1).ne(lc.unsqueeze(0)));   // (b, m): hits not yet in one set
                if (!pending.any().item<bool>())
                {
                    break;
                }

                using var big = n.ToScalar();
                var open = pending.logical_not();
                var rowMin = lc.unsqueeze(0).expand(b, m).masked_fill(open, big).amin(1).data<int>().ToArray();
                var colMin = lr.unsqueeze(1).expand(b, m).masked_fill(open, big).amin(0).data<int>().ToArray();
                for (int r = 0; r < b; r++)
                {
                    if (rowMin[r] < n)
                    {
                        sets.Union(start + r, rowMin[r]);
                    }
                }

                for (int c = 0; c < m; c++)
                {
                    if (colMin[c] < n)
                    {
                        sets.Union(start + c, colMin[c]);
                    }
                }

                for (int j = start; j < n; j++)
                {
                    roots[j] = sets.Find(j);
                }
            }
        }
    }

    /// <summary>
    /// Blocks of 1024 rows against the leaders so far: a row over the threshold with a leader joins the sets of its
    /// most similar leader and of the leaders with the smallest and largest labels it hits; the rows of a block that
    /// hit none are grouped among themselves and the first of each such group becomes a leader. Returns the leaders.
    /// </summary>
    private static int Leaders(Tensor x, int n, float threshold, Scalar min, Scalar none, DisjointSets sets, float[] link)
    {
        const int Block = 1024;
        int f = (int)x.shape[1];
        var leaderRows = new List<int>();
        var leaders = torch.zeros([Block, f], ScalarType.Float32);   // (capacity, F), the first leaderRows.Count rows filled
        for (int start = 0; start < n; start += Block)
        {
            using var slice = torch.NewDisposeScope();
            int b = Math.Min(Block, n - start);
            var xb = x.narrow(0, start, b);
            var alone = new List<int>();
            if (leaderRows.Count == 0)
            {
                alone.AddRange(Enumerable.Range(0, b));
            }
            else
            {
                int l = leaderRows.Count;
                var sims = xb.matmul(leaders.narrow(0, 0, l).T);                 // (b, L)
                var best = sims.max(1);
                var bestSim = best.values.data<float>().ToArray();
                var bestAt = best.indexes.data<long>().ToArray();
                var hit = sims.ge(min);
                using var big = l.ToScalar();
                using var zero = (-1).ToScalar();
                var index = torch.arange(l, ScalarType.Int32).unsqueeze(0).expand(b, l);
                var first = index.masked_fill(hit.logical_not(), big).amin(1).data<int>().ToArray();
                var last = index.masked_fill(hit.logical_not(), zero).amax(1).data<int>().ToArray();
                for (int r = 0; r < b; r++)
                {
                    if (bestSim[r] < threshold)
                    {
                        alone.Add(r);
                        continue;
                    }

                    int i = start + r;
                    link[i] = Math.Min(link[i], bestSim[r]);
                    sets.Union(i, leaderRows[(int)bestAt[r]]);
                    sets.Union(i, leaderRows[first[r]]);
                    sets.Union(i, leaderRows[last[r]]);
                }
            }

            if (alone.Count == 0)
            {
                continue;
            }

            // The rows like no leader, against each other (at most 1024 of them: one exact slice).
            var xa = xb.index_select(0, tensor(alone.Select(r => (long)r).ToArray(), ScalarType.Int64));
            var among = new DisjointSets(alone.Count);
            var amongLink = new float[alone.Count];
            Array.Fill(amongLink, 2f);
            Exact(xa, alone.Count, min, none, among, amongLink);
            var seen = new HashSet<int>();
            for (int p = 0; p < alone.Count; p++)
            {
                int i = start + alone[p];
                link[i] = Math.Min(link[i], amongLink[p]);
                int root = among.Find(p);
                sets.Union(i, start + alone[root]);
                if (seen.Add(root) && leaderRows.Count < MaxLeaders)
                {
                    if (leaderRows.Count == leaders.shape[0])
                    {
                        leaders = torch.cat([leaders, torch.zeros_like(leaders)], 0).MoveToOuterDisposeScope();
                    }

                    leaders[leaderRows.Count].copy_(xb[alone[p]]);
                    leaderRows.Add(i);
                }
            }
        }

        return leaderRows.Count;
    }
}
