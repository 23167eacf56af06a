using System.CommandLine;
using Pipeline.Cli.Options;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary><c>audit</c>: mislabelled photos, near-duplicates (leaks between splits) and outliers, from the cached features alone.</summary>
internal static class AuditCommand
{
    public static readonly Option<string> Cache = OptionValues.Text("--cache", "CACHE", "The cache to audit: a split root (train, validation, test) or one split.", required: true);

    public static readonly Option<string?> Report = new("--report")
    {
        HelpName = "DIR",
        Description = "Also write DIR/index.html: one self-contained page with a thumbnail of every suspect (label and predicted class), the duplicate groups side by side (leaks first) and the outliers.",
    };

    public static readonly Option<int> Show = OptionValues.Int("--show", "N", "Rows of each list printed (--json prints every row).", 20, 1);

    public static Command Create()
    {
        var command = new Command("audit", """
            Audit a dataset from its cached features: label suspects (out-of-fold), near-duplicate groups (leaks between splits first) and outliers.
            Example: pipeline audit --cache work/cache --json > audit.json
            """);
        Compose.Add(command, [Cache, Report, Show, TrainOptionGroup.Folds, TrainOptionGroup.HeadDevice, SharedOptions.Seed, SharedOptions.Json]);
        command.SetAction(r =>
        {
            var pipeline = new TransferLearning
            {
                HeadOptions = new HeadOptions { Device = r.GetValue(TrainOptionGroup.HeadDevice), Seed = r.GetValue(SharedOptions.Seed) },
                Folds = r.GetValue(TrainOptionGroup.Folds),
                Log = line => Console.Error.WriteLine(line),
            };
            string cache = r.GetValue(Cache)!;
            var report = pipeline.Audit(cache);
            if (r.GetValue(Report) is { } dir)
            {
                Console.Error.WriteLine($"report: {report.WriteReport(dir)}");
            }

            if (r.GetValue(SharedOptions.Json))
            {
                // Exactly the three lists, each most suspect first, paths as the manifest has them.
                Output.WriteJson(new { report.LabelSuspects, report.Duplicates, report.Outliers });
                return 0;
            }

            int show = r.GetValue(Show);
            Console.Out.WriteLine($"{report.LabelSuspects.Count} label suspects, {report.Duplicates.Count} near-duplicate groups ({report.Duplicates.Count(d => d.Leak)} leaks between splits; cosine ≥ {report.DuplicateThreshold}), {report.Outliers.Count} outliers; near-duplicates {report.DuplicateSearch}");
            var suspects = Output.Table("split", "path", "label", "predicted", "p(label)");
            foreach (var s in report.LabelSuspects.Take(show))
            {
                suspects.AddRow(s.Split, Markup.Escape(s.Path), s.Label, s.Predicted, $"{s.Score:F3}");
            }

            Output.Write(suspects);
            var groups = Output.Table("similarity", "leak", "images");
            foreach (var g in report.Duplicates.Take(show))
            {
                groups.AddRow($"{g.Similarity:F3}", g.Leak ? "LEAK" : "", Markup.Escape(string.Join("  ", g.Items.Select(i => $"{i.Split}/{i.Path}")) + (g.Count is { } all ? $"  … {all - g.Items.Count:N0} more" : "")));
            }

            Output.Write(groups);
            var outliers = Output.Table("split", "path", "sigmas from the nearest class");
            foreach (var o in report.Outliers.Take(show))
            {
                outliers.AddRow(o.Split, Markup.Escape(o.Path), $"{o.Score:F2}");
            }

            Output.Write(outliers);
            return 0;
        });
        return command;
    }
}
