namespace Pipeline.Conventions;

/// <summary>"Did you mean": the names nearest a misspelt one (tensor names, option names), by edit distance.</summary>
public static class Nearest
{
    /// <summary>Up to <paramref name="count"/> of <paramref name="names"/>, nearest first; none farther than <paramref name="maxDistance"/> edits.</summary>
    public static IReadOnlyList<string> To(string wrong, IEnumerable<string> names, int count, int maxDistance = int.MaxValue) =>
        names.Select(n => (Name: n, Distance: Distance(n, wrong))).Where(x => x.Distance <= maxDistance)
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).Take(count).Select(x => x.Name).ToList();

    /// <summary>Levenshtein distance: how many single-character edits turn one string into the other.</summary>
    public static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
