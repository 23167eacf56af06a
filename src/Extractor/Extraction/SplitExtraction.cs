using System.Diagnostics;

namespace Pipeline.Extractor.Extraction;

/// <summary>One split: reuse what is already cached (finished or partial), compute the rest, finish.</summary>
internal static class SplitExtraction
{
    public static SplitReport Run(ExtractionOptions options, ImageFolder folder, DatasetSplit split, string dir,
                                  Backbone backbone, int workers, IExtractionProgress progress, CancellationToken cancel)
    {
        long start = Stopwatch.GetTimestamp();
        using var writer = CacheLock.Acquire(dir);
        var plan = SplitPlan.For(split, options);
        var space = backbone.Space with { Dtype = options.Dtype, Classes = folder.Classes, Views = plan.Describe(), Selection = folder.Selection ?? FeatureSpace.FolderSelection };
        string fingerprint = FeatureExtractor.Fingerprint(space);
        var finished = CheckExisting(options.Force, space, fingerprint, dir);
        var rows = plan.Rows.Select(r => r.Id(split)).ToList();
        var files = new FileCheck(split.Root);   // each file hashed at most once per run
        if (finished is not null && IsUpToDate(finished, plan, rows, files))
        {
            progress.Info($"{Label(split)}: up to date ({finished.Items.Count} rows cached)");
            return new SplitReport
            {
                Split = split.Name, CacheDir = dir, Images = finished.Items.Count, Computed = 0, Reused = finished.Items.Count, Skipped = finished.Skipped,
                Seconds = FeatureExtractor.Elapsed(start), Stages = new StageSeconds(0, 0, 0, 0, 0),
            };
        }

        using var store = PartialStore.OpenOrCreate(dir, new PartialState(fingerprint, rows), backbone.FeatureLength);
        int reused = ReuseRows(store, finished, dir, plan, rows, files);
        // An entry that cannot be opened as itself (a name that is not UTF-8, an unreadable folder) is skipped
        // with its reason up front: never handed to the decoder under a name that means another file.
        var unopenable = Enumerable.Range(0, rows.Count).Where(r => store.Rows[r] is null && split.Items[plan.Rows[r].Item].Problem is not null)
            .Select(r => new RowState(r, 0, "", split.Items[plan.Rows[r].Item].Problem)).ToList();
        if (unopenable.Count > 0)
        {
            store.Commit(unopenable, []);
        }

        var work = Enumerable.Range(0, rows.Count).Where(r => store.Rows[r] is null)
            .Select(r => new WorkItem(r, Path.Combine(split.Root, split.Items[plan.Rows[r].Item].RelativePath), plan.Transform(plan.Rows[r], backbone.Preprocessing)))
            .ToList();

        progress.Begin(Label(split), rows.Count, rows.Count - work.Count);
        var pipeline = new ExtractionPipeline(backbone, options.Batch, workers, options.MaxPixels);
        var fileOfRow = work.ToDictionary(w => w.Row, w => w.File);
        int skippedNow = unopenable.Count;
        pipeline.Run(work, (states, features) =>
        {
            if (options.Dtype == FeatureDtype.Float16)
            {
                FeatureCheck.FitFloat16(features, backbone.FeatureLength, states, row => fileOfRow[row]);
            }

            store.Commit(states, features);
            int skips = states.Count(s => s.Skip is not null);
            skippedNow += skips;
            progress.Advance(states.Count, skips);
        }, cancel);
        progress.End();

        var manifest = CacheWriter.Finish(dir, store, plan, folder.Classes, backbone, options.Dtype, folder.Selection);
        store.Dispose();
        PartialStore.Delete(dir);

        // Rows are what the cache holds and computed what the backbone produced: a skipped file is neither.
        return new SplitReport
        {
            Split = split.Name, CacheDir = dir, Images = manifest.Items.Count, Computed = work.Count + unopenable.Count - skippedNow, Reused = reused,
            Skipped = manifest.Skipped, Seconds = FeatureExtractor.Elapsed(start), Stages = pipeline.Stages,
        };
    }

    private static string Label(DatasetSplit split) => split.Name.Length > 0 ? split.Name : "images";

    /// <summary>A finished cache in <paramref name="dir"/>: null if none; refused (or wiped when forced) if made in another feature space.</summary>
    private static CacheManifest? CheckExisting(bool force, FeatureSpace requested, string fingerprint, string dir)
    {
        bool hasManifest = File.Exists(Path.Combine(dir, FeatureCache.ManifestFile));
        CacheManifest? manifest = hasManifest ? FeatureCache.ReadManifest(dir) : null;
        string? mismatch = manifest?.Space.Mismatch(requested, FeatureAspects.All);
        if (manifest is null && PartialStore.Exists(dir) && PartialStore.ReadFingerprint(dir) is { } partial && partial != fingerprint)
        {
            mismatch = "an unfinished run in another feature space (backbone, preprocessing, dtype, classes, views or images)";
        }

        if (mismatch is null)
        {
            return manifest;
        }

        if (!force)
        {
            Throw.Mismatch(MismatchSite.ExistingCache, $"cache '{dir}'", $"this run ({requested.Describe()})", mismatch);
        }

        foreach (var f in new[] { FeatureCache.ManifestFile, "features.npy", "labels.npy" })
        {
            File.Delete(Path.Combine(dir, f));
        }

        PartialStore.Delete(dir);
        return null;
    }

    /// <summary>Every planned row is in the finished cache (or its file was skipped), each file with the same size and hash.</summary>
    private static bool IsUpToDate(CacheManifest finished, SplitPlan plan, IReadOnlyList<string> rows, FileCheck files)
    {
        var planned = rows.ToHashSet(StringComparer.Ordinal);
        var cached = finished.Items.Select(i => i.RowId).ToHashSet(StringComparer.Ordinal);
        var skipped = finished.Skipped.ToDictionary(s => s.Path, StringComparer.Ordinal);
        if (!cached.IsSubsetOf(planned))
        {
            return false;
        }

        for (int r = 0; r < rows.Count; r++)
        {
            if (!cached.Contains(rows[r]) && !skipped.ContainsKey(plan.Split.Items[plan.Rows[r].Item].RelativePath))
            {
                return false;
            }
        }

        // A skipped file that has since changed (repaired, say) is tried again; an entry that cannot be
        // opened (in the listing with its problem) stays as it was.
        var unopenable = plan.Split.Items.Where(i => i.Problem is not null).Select(i => i.RelativePath).ToHashSet(StringComparer.Ordinal);
        return finished.Items.Where(i => i.Kind is null).Select(i => (i.Path, i.Bytes, i.Sha256))
            .Concat(finished.Skipped.Where(s => !unopenable.Contains(s.Path)).Select(s => (s.Path, s.Bytes, s.Sha256)))
            .AsParallel().All(f => files.Unchanged(f.Path, f.Bytes, f.Sha256));
    }

    /// <summary>
    /// Keeps committed partial rows whose files are unchanged, and copies rows of unchanged files
    /// from the finished cache; returns how many rows need no computing.
    /// </summary>
    private static int ReuseRows(PartialStore store, CacheManifest? finished, string dir, SplitPlan plan, IReadOnlyList<string> rows, FileCheck files)
    {
        var split = plan.Split;

        for (int r = 0; r < store.Rows.Length; r++)
        {
            if (store.Rows[r] is { } s && !files.Unchanged(split.Items[plan.Rows[r].Item].RelativePath, s.Bytes, s.Sha256))
            {
                store.Invalidate(r);
            }
        }

        if (finished is not null)
        {
            using var cache = FeatureCache.Open(dir);
            var byId = finished.Items.Select((item, row) => (item, row)).ToDictionary(x => x.item.RowId, x => x, StringComparer.Ordinal);
            var row = new float[cache.FeatureLength];
            var batch = new List<RowState>();
            var features = new List<float>();
            for (int r = 0; r < store.Rows.Length; r++)
            {
                if (store.Rows[r] is null && byId.TryGetValue(rows[r], out var old) && files.Unchanged(old.item.Path, old.item.Bytes, old.item.Sha256))
                {
                    cache.ReadRow(old.row, row);
                    batch.Add(new RowState(r, old.item.Bytes, old.item.Sha256, null));
                    features.AddRange(row);
                }
            }

            if (batch.Count > 0)
            {
                store.Commit(batch, features.ToArray());
            }
        }

        return store.DoneCount;
    }

    /// <summary>Whether a file still has the size and SHA-256 it was cached with; each answer is remembered.</summary>
    private sealed class FileCheck(string root)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, long, string), bool> _known = new();

        public bool Unchanged(string path, long bytes, string sha256) =>
            _known.GetOrAdd((path, bytes, sha256), key => Matches(Path.Combine(root, key.Item1), key.Item2, key.Item3));

        private static bool Matches(string path, long bytes, string sha256)
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length != bytes)
            {
                return false;
            }

            using var fs = File.OpenRead(path);
            return Sha256.Hex(fs) == sha256;
        }
    }
}
