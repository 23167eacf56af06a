using System.Numerics.Tensors;
using System.Text.Json;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// Turns a complete <see cref="PartialStore"/> into the final cache: <c>features.npy</c>,
/// <c>labels.npy</c>, then <c>manifest.json</c> last. Each is written to a temporary name and
/// renamed, and the old manifest goes first, so a kill at any point leaves either a readable
/// cache or an unfinished one that the next run finishes.
/// </summary>
internal static class CacheWriter
{
    public const string FeaturesFile = "features.npy";
    public const string LabelsFile = "labels.npy";
    public const string TargetsFile = "targets.npy";

    public static CacheManifest Finish(string dir, PartialStore store, SplitPlan plan, IReadOnlyList<string> classes, Backbone backbone, FeatureDtype dtype, string? selection)
    {
        var split = plan.Split;
        bool multiLabel = split.Items.Any(i => i.Tags is not null);
        string listing = Sha256.OfText(string.Join('\n', split.Items.Select(i => $"{Listed(i)}\t{i.RelativePath}")));
        var items = new List<CacheItem>();
        var tags = new List<IReadOnlyList<int>>();
        var skipped = new List<SkippedItem>();
        var keep = new List<int>();
        for (int r = 0; r < store.Rows.Length; r++)
        {
            var state = store.Rows[r] ?? throw new InvalidOperationException($"row {r} was not computed");
            var planned = plan.Rows[r];
            var item = split.Items[planned.Item];
            if (state.Skip is null)
            {
                items.Add(new CacheItem(item.RelativePath, item.Label, state.Bytes, state.Sha256) { View = planned.View, Kind = planned.Kind });
                keep.Add(r);
                tags.Add(item.Tags ?? [item.Label]);
            }
            else if (planned.Kind is null)
            {
                skipped.Add(new SkippedItem(item.RelativePath, state.Skip) { Bytes = state.Bytes, Sha256 = state.Sha256 });   // one line per file, not per view
            }
        }

        int length = backbone.FeatureLength;
        bool half = dtype == FeatureDtype.Float16;
        File.Delete(Path.Combine(dir, FeatureCache.ManifestFile));
        WriteNpy(Path.Combine(dir, FeaturesFile), half ? "<f2" : "<f4", [keep.Count, length], stream =>
        {
            var row = new float[length];
            var halfRow = new Half[length];
            foreach (int r in keep)
            {
                store.ReadRow(r, row);
                if (half)
                {
                    TensorPrimitives.ConvertToHalf(row, halfRow);
                    stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(halfRow.AsSpan()));
                }
                else
                {
                    stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
                }
            }
        });
        WriteNpy(Path.Combine(dir, LabelsFile), "<i4", [items.Count], stream =>
        {
            foreach (var item in items)
            {
                stream.Write(BitConverter.GetBytes(item.Label));
            }
        });

        if (multiLabel)
        {
            // (rows, classes) uint8 multi-hot, the rows in features.npy's order.
            WriteNpy(Path.Combine(dir, TargetsFile), "|u1", [items.Count, classes.Count], stream =>
            {
                var row = new byte[classes.Count];
                foreach (var t in tags)
                {
                    Array.Clear(row);
                    foreach (int c in t)
                    {
                        row[c] = 1;
                    }

                    stream.Write(row);
                }
            });
        }

        var manifest = new CacheManifest
        {
            Split = split.Name,
            Listing = listing,
            Backbone = backbone.Info,
            Preprocessing = backbone.Preprocessing,
            Features = new FeatureInfo { Shape = backbone.FeatureShape, Dtype = dtype },
            Classes = classes,
            Parts = [new CachePart(FeaturesFile, LabelsFile, items.Count) { Targets = multiLabel ? TargetsFile : null }],
            MultiLabel = multiLabel ? true : null,
            Items = items,
            Skipped = skipped,
            Augmentation = plan.Augmentation,
            Mirrors = plan.Mirrors,
            Shard = plan.Shard?.ToString(),
            Selection = selection,
            Source = split.Root,
        };
        AtomicFile.Write(Path.Combine(dir, FeatureCache.ManifestFile), stream => JsonSerializer.Serialize(stream, manifest, JsonFormats.Indented));   // streamed: no whole-manifest array (about 50 MB at 160,000 items)
        return manifest;
    }

    /// <summary>An item as the listing hashes it: its label, or every label of a multi-label item (so the listing of a single-label split is unchanged).</summary>
    private static string Listed(Dataset.ImageItem item) =>
        item.Tags is null ? item.Label.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Join('|', item.Tags);

    /// <summary>A full disk leaves no half file behind; the journal in .partial/ still holds every row.</summary>
    private static void WriteNpy(string path, string descr, long[] shape, Action<Stream> body) =>
        AtomicFile.Write(path, fs =>
        {
            fs.Write(NpyFile.Header(descr, shape));
            body(fs);
        });
}
