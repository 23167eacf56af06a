using System.ComponentModel;
using Pipeline.Extractor.Cache;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class InfoSettings : CommandSettings
{
    [CommandArgument(0, "<CACHE>")]
    [Description("A cache folder written by extract (or a split root).")]
    public string Cache { get; init; } = "";

    [CommandOption("--json")]
    public bool Json { get; init; }

    [CommandOption("--check")]
    [Description("Also read every row and check it is finite (the part files' headers, shapes, sizes, labels and paths are always checked).")]
    public bool Check { get; init; }
}

public sealed class InfoCommand : Command<InfoSettings>
{
    public override int Execute(CommandContext context, InfoSettings settings, CancellationToken cancellationToken)
    {
        var root = FeatureCache.TryReadSplitRoot(settings.Cache);
        var dirs = root is null ? [settings.Cache] : root.Splits.Select(s => Path.Combine(settings.Cache, s)).ToList();
        var manifests = dirs.Select(FeatureCache.ReadManifest).ToList();
        foreach (var dir in dirs)
        {
            // Opening validates every part: a plain relative path inside the cache, the .npy header's
            // dtype and shape against the manifest, the file long enough for it, labels in range.
            using var cache = FeatureCache.Open(dir);
            if (settings.Check)
            {
                cache.CheckRowsFinite();
            }
        }

        if (settings.Json)
        {
            Output.WriteJson(manifests.Select(m => new
            {
                m.Split, m.Backbone, m.Preprocessing, m.Features, m.Classes, Images = m.Items.Count,
                PerClass = m.Classes.Select((c, i) => new { Class = c, Count = m.Items.Count(x => x.Label == i) }),
                m.Skipped,
            }));
            return 0;
        }

        var first = manifests[0];
        Console.Out.WriteLine($"backbone: {first.Backbone.Name} ({first.Backbone.File}, sha256 {first.Backbone.Sha256}){(first.Backbone.Synthetic ? " [synthetic: random weights]" : "")}");
        Console.Out.WriteLine($"features: {first.Backbone.FeatureTensor} ({string.Join("x", first.Features.Shape)} = {first.Features.Length}) {first.Features.Dtype}");
        Console.Out.WriteLine($"preprocessing: {first.Preprocessing.Describe()}");
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
    }
}

public sealed class MergeSettings : CommandSettings
{
    [CommandArgument(0, "<CACHE>")]
    [Description("The --out folder that every 'extract --shard I/N' task wrote to.")]
    public string Cache { get; init; } = "";
}

/// <summary><c>merge</c>: the shards of each split become one cache (their files become its parts; nothing is copied).</summary>
public sealed class MergeCommand : Command<MergeSettings>
{
    public override int Execute(CommandContext context, MergeSettings settings, CancellationToken cancellationToken)
    {
        foreach (var (split, shards, rows) in CacheMerge.Merge(settings.Cache))
        {
            Console.Out.WriteLine($"{(split.Length > 0 ? split : "-")}: {shards} shards merged, {rows} rows");
        }

        return 0;
    }
}
