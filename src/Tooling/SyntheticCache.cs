using System.Text.Json;

namespace Pipeline.Tooling;

/// <summary>
/// Caches at the walkthrough's scale made from real rows (head-training benchmarks): each row is a real row of
/// the source cache's training and validation splits, drawn in turn, tiled to the asked width (512 → 512 × 7 × 7
/// repeats each value 49 times, as a flattened pool5 would hold a smooth map) and given Gaussian noise of
/// <c>noise</c> × the feature's own standard deviation, so no two rows are equal and the task stays as hard.
/// Labels are the source rows'. Written in the project's own format, as a split root (train, validation).
/// </summary>
internal static class SyntheticCache
{
    public static void Make(string source, string output, int trainRows, int validationRows, int features, double noise, int seed)
    {
        // Sizes first: 20,000 × 131,072 floats is 10.5 GB; a full disk found at the end wastes the run.
        long need = ((long)trainRows + validationRows) * features * sizeof(float);
        Directory.CreateDirectory(output);
        long free = new DriveInfo(Path.GetFullPath(output)).AvailableFreeSpace;
        if (need > free)
        {
            Throw.BadCache(output, $"needs {need:N0} bytes for {trainRows + validationRows:N0} rows of {features:N0} features, but its disk has {free:N0} free",
                "ask for fewer rows or features, or write to another disk");
        }

        // A killed earlier run leaves its .tmp files: removed before anything is written again.
        foreach (var stray in Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories))
        {
            File.Delete(stray);
        }

        try
        {
            Write(source, output, trainRows, validationRows, features, noise, seed);
        }
        catch
        {
            // Cancelled or failed mid-write: no half-written temporary stays behind.
            foreach (var stray in Directory.EnumerateFiles(output, "*.tmp", SearchOption.AllDirectories))
            {
                File.Delete(stray);
            }

            throw;
        }
    }

    private static void Write(string source, string output, int trainRows, int validationRows, int features, double noise, int seed)
    {
        using var train = FeatureCache.Open(source, SplitName.Train);
        using var validation = FeatureCache.Open(source, SplitName.Validation);
        var rows = new List<(float[] Row, int Label)>();
        foreach (var cache in new[] { train, validation })
        {
            for (int r = 0; r < cache.Count; r++)
            {
                var row = new float[cache.FeatureLength];
                cache.ReadRow(r, row);
                rows.Add((row, cache.Labels[r]));
            }
        }

        int width = rows[0].Row.Length;
        var std = new float[width];
        for (int i = 0; i < width; i++)
        {
            double mean = rows.Average(x => x.Row[i]);
            std[i] = (float)Math.Sqrt(rows.Average(x => (x.Row[i] - mean) * (x.Row[i] - mean)));
        }

        var rng = new Random(seed);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        rng.Shuffle(order);
        int next = 0;
        foreach (var (split, count) in new[] { (SplitName.Train, trainRows), (SplitName.Validation, validationRows) })
        {
            string dir = Path.Combine(output, split);
            Directory.CreateDirectory(dir);
            var labels = new int[count];
            AtomicFile.Write(Path.Combine(dir, CacheWriter.FeaturesFile), stream =>
            {
                stream.Write(NpyFile.Header("<f4", [count, features]));
                var row = new float[features];
                for (int r = 0; r < count; r++)
                {
                    var (real, label) = rows[order[next++ % order.Length]];
                    for (int i = 0; i < features; i++)
                    {
                        int k = (int)((long)i * width / features);
                        row[i] = real[k] + (float)(noise * std[k] * Gaussian(rng));
                    }

                    labels[r] = label;
                    stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
                }
            });
            AtomicFile.Write(Path.Combine(dir, CacheWriter.LabelsFile), stream =>
            {
                stream.Write(NpyFile.Header("<i4", [count]));
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()));
            });
            int side = features % width == 0 && (int)Math.Sqrt(features / width) is var s && s * s * width == features ? s : 0;
            var manifest = train.Manifest with
            {
                Split = split,
                Features = new FeatureInfo { Shape = side > 0 ? [width, side, side] : [features], Dtype = FeatureDtype.Float32 },
                Parts = [new CachePart(CacheWriter.FeaturesFile, CacheWriter.LabelsFile, count)],
                Items = labels.Select((label, r) => new CacheItem($"synthetic/{split}/{r:D6}.jpg", label, 0, "")).ToList(),
                Skipped = [],
                Augmentation = null,
                Mirrors = false,
                Listing = null,
                Shard = null,
                Selection = null,
                Source = null,
            };
            AtomicFile.Write(Path.Combine(dir, FeatureCache.ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, JsonFormats.Indented));
        }

        var root = new SplitRootManifest { Splits = [SplitName.Train, SplitName.Validation], Classes = train.Classes };
        AtomicFile.Write(Path.Combine(output, FeatureCache.ManifestFile), JsonSerializer.SerializeToUtf8Bytes(root, JsonFormats.Indented));
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
