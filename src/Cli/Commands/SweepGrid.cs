using System.Globalization;

namespace Pipeline.Cli.Commands;

/// <summary>"lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5" → every combination of options.</summary>
internal static class SweepGrid
{
    public static List<HeadOptions> Expand(string grid, HeadOptions baseline)
    {
        var combos = new List<HeadOptions> { baseline };
        foreach (var term in grid.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = term.Split('=', 2);
            if (kv.Length != 2)
            {
                Bad(term);
            }

            var values = kv[1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            combos = combos.SelectMany(c => values.Select(v => Apply(c, kv[0].ToLowerInvariant(), v, term))).ToList();
        }

        return combos;
    }

    private static HeadOptions Apply(HeadOptions o, string key, string value, string term)
    {
        double Num() => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : Bad(term);
        return key switch
        {
            "lr" => o with { LearningRate = Num() },
            "hidden" => o with { Hidden = Options.TrainOptionGroup.ParseHidden(value, '+') },
            "dropout" => o with { Dropout = Num() },
            "weight-decay" or "wd" => o with { WeightDecay = Num() },
            "epochs" => o with { Epochs = (int)Num() },
            "batch" => o with { Batch = (int)Num() },
            "seed" => o with { Seed = (int)Num() },
            _ => throw BadTerm(term),
        };
    }

    private static double Bad(string term) => throw BadTerm(term);

    private static InvalidSettingException BadTerm(string term) =>
        new("sweep", term, "KEY=V1,V2,… with KEY one of lr, hidden, dropout, wd, epochs, batch, seed, e.g. \"lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5\"");
}
