using Spectre.Console;
using System.CommandLine;
using Pipeline.Cli.Options;
using Pipeline.Extractor.Cache;

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
            string cacheArg = r.GetValue(Cache)!;
        var root = FeatureCache.TryReadSplitRoot(cacheArg);
            var dirs = root is null ? [cacheArg] : root.Splits.Select(s => Path.Combine(cacheArg, s)).ToList();
            var manifests = new List<CacheManifest>();
            foreach (var dir in dirs)
            {
                // Opening validates every part: a plain relative path inside the cache, the .npy header's
                // dtype and shape against the manifest, the file long enough for it, labels in range.
                using var cache = FeatureCache.Open(dir);
                if (r.GetValue(Check))
                {
                    cache.CheckRowsFinite();
                }

                manifests.Add(cache.Manifest);
            }

            if (r.GetValue(SharedOptions.Json))
            {
                Output.WriteJson(manifests.Select(m => new
                {
                    m.Split, m.Backbone, m.Preprocessing, m.Features, m.Classes, m.Selection, Images = m.Items.Count(x => x.Kind is null), Rows = m.Items.Count,
                    PerClass = m.Classes.Select((c, i) => new { Class = c, Count = m.Items.Count(x => x.Label == i && x.Kind is null) }),
                    m.Skipped,
                }));
                return 0;
            }

            var first = manifests[0];
            Console.Out.WriteLine($"backbone: {first.Backbone.Name} ({first.Backbone.File}, sha256 {first.Backbone.Sha256}){(first.Backbone.Synthetic ? " [synthetic: random weights]" : "")}");
            Console.Out.WriteLine($"features: {first.Backbone.FeatureTensor} ({string.Join("x", first.Features.Shape)} = {first.Features.Length}) {first.Features.Dtype.ToString().ToLowerInvariant()}");
            Console.Out.WriteLine($"preprocessing: {first.Preprocessing.Describe()}");
            Console.Out.WriteLine($"images: {first.Selection ?? FeatureSpace.FolderSelection}");
            // Counts are images (clean rows); rows adds the cached views (augmented, mirrors).
            var table = Output.Table(["split", .. first.Classes, "images", "rows", "views", "skipped"]);
            foreach (var m in manifests)
            {
                var clean = m.Items.Where(x => x.Kind is null).ToList();
                string views = (m.Augmentation is { } a ? $"+{a.Views} augmented" : "") + (m.Mirrors ? "+mirror" : "");
                table.AddRow([m.Split.Length > 0 ? m.Split : "-", .. m.Classes.Select((_, i) => $"{clean.Count(x => x.Label == i)}"),
                    $"{clean.Count}", $"{m.Items.Count}", views.Length > 0 ? views : "-", $"{m.Skipped.Count}"]);
            }

            Output.Write(table);
            foreach (var m in manifests)
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
