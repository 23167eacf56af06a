using System.Globalization;

namespace Pipeline;

/// <summary>
/// Named shares of each class: fractions (<c>train=0.8,validation=0.1,test=0.1</c>) or image counts
/// (<c>train=500,validation=100,test=200</c>), never both. The grammar of <c>--split</c> and of
/// <c>--sample</c> (where a bare <c>N</c> means <c>train=N</c>).
/// </summary>
public sealed record SplitRule(IReadOnlyList<(string Split, double Share)> Shares, bool Counts)
{
    /// <summary>The splits a rule may name (read-only: the rules' own list, which a caller must not change).</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(SplitName.RuleNames);

    /// <summary>Parses the rule; <paramref name="setting"/> names it in errors (split, sample).</summary>
    public static SplitRule Parse(string text, string setting, bool bareCountIsTrain = false)
    {
        string expected = setting == "sample"
            ? "N (images per class of the training split) or SPLIT=N,… with SPLIT one of train, validation, test"
            : "train=F,validation=F,test=F with fractions summing to at most 1, or train=N,validation=N,test=N images per class";
        var t = text.Trim();
        if (bareCountIsTrain && int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            t = "train=" + t;
        }

        var shares = new List<(string, double)>();
        foreach (var term in t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = term.Split('=', 2, StringSplitOptions.TrimEntries);
            string name = SplitName.Canonical(kv[0]);
            if (kv.Length != 2 || !Names.Contains(name) || shares.Any(s => s.Item1 == name)
                || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || double.IsInfinity(v))
            {
                throw new InvalidSettingException(setting, text, expected);
            }

            shares.Add((name, v));
        }

        bool counts = shares.Count > 0 && shares.All(s => s.Item2 >= 1 && s.Item2 == Math.Floor(s.Item2));
        bool fractions = shares.Count > 0 && shares.All(s => s.Item2 < 1) && shares.Sum(s => s.Item2) <= 1 + 1e-9;
        if (!counts && !fractions)
        {
            throw new InvalidSettingException(setting, text, expected);
        }

        // Splits in their usual order, whatever order they were written in.
        return new SplitRule(shares.OrderBy(s => Array.IndexOf(SplitName.RuleNames, s.Item1)).ToList(), counts);
    }

    /// <summary>The fraction or count the rule gives <paramref name="split"/> (0 when it names none).</summary>
    public double ShareOf(string split) => Shares.FirstOrDefault(s => s.Split == split).Share;

    /// <summary>The rule as <c>--split</c> takes it.</summary>
    public override string ToString() =>
        string.Join(",", Shares.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Split}={s.Share:G}")));
}
