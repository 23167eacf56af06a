using Spectre.Console;
using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>info</c>: what a feature cache holds, per split and class; opening it validates every part.</summary>
internal static class InfoCommand
{
    public static readonly Argument<string> Cache = new("CACHE") { Description = "A cache folder written by extract (or a split root)." };

    public static readonly Option<bool> Check = OptionValues.Flag("--check",
        "Also read every row and check it is finite (the part files' headers, shapes, sizes, labels and paths are always checked).");

    public static Command Create()
    {
        var command = new Command("info", """
            Show what a feature cache holds: backbone, preprocessing, the split rule, images per split and class.
            Example: pipeline info cache
            """);
        command.Add(Cache);
        Compose.Add(command, [Check, SharedOptions.Json]);
        command.SetAction(r =>
        {
            // Opening each split validates every part (paths, .npy headers against the manifest, sizes, labels).
            var infos = Caches.Info(r.GetValue(Cache)!, r.GetValue(Check));
            if (r.GetValue(SharedOptions.Json))
            {
                Output.WriteJson(infos);
                return 0;
            }

            var first = infos[0];
            Console.Out.WriteLine($"backbone: {first.Backbone.Name} ({first.Backbone.File}, sha256 {first.Backbone.Sha256}){(first.Backbone.Synthetic ? " [synthetic: random weights]" : "")}");
            Console.Out.WriteLine($"features: {first.Backbone.FeatureTensor} ({string.Join("x", first.FeatureShape)} = {first.FeatureLength}) {SettingNames.Of(first.Dtype)}");
            Console.Out.WriteLine($"preprocessing: {first.Preprocessing}");
            Console.Out.WriteLine($"images: {first.Selection}");
            // Counts are images (clean rows); rows adds the cached views (augmented, mirrors).
            var table = Output.Table(["split", .. first.Classes, "images", "rows", "views", "skipped"]);
            foreach (var m in infos)
            {
                string views = (m.AugmentedViews > 0 ? $"+{m.AugmentedViews} augmented" : "") + (m.Mirrors ? "+mirror" : "");
                table.AddRow([m.Split.Length > 0 ? m.Split : "-", .. m.PerClass.Select(n => $"{n}"),
                    $"{m.Images}", $"{m.Rows}", views.Length > 0 ? views : "-", $"{m.Skipped.Count}"]);
            }

            Output.Write(table);
            foreach (var m in infos)
            {
                foreach (var s in m.Skipped)
                {
                    Console.Out.WriteLine($"skipped {Path.Combine(m.Split, s.Path)}: {s.Reason}");
                }
            }

            return 0;
        });
        return command;
    }
}
