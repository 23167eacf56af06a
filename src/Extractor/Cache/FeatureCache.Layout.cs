using System.Text.Json;

namespace Pipeline.Extractor.Cache;

/// <summary>Where a cache's splits live (a split root lists them, a plain cache is its own split) and its manifest, read and checked.</summary>
internal sealed partial class FeatureCache
{
    /// <summary>The directory holding one split's cache, for a split root or a plain cache.</summary>
    public static string ResolveSplit(string path, string? split, params string[] preferredSplits)
    {
        string manifestPath = Path.Combine(path, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            Throw.BadCache(path, "no manifest.json here", "extract into it first, or point at the folder extract wrote (a killed extract is finished by running it again)");
        }

        var root = TryReadSplitRoot(path);
        if (root is null)
        {
            if (split is not null)
            {
                Throw.BadCache(path, $"is a single cache, it has no split '{split}'", "point at the root of a cache with splits, or at this cache without naming a split");
            }

            return path;
        }

        string? chosen = split ?? preferredSplits.FirstOrDefault(s => root.Splits.Contains(s));
        if (chosen is null || !root.Splits.Contains(chosen))
        {
            Throw.BadCache(path, $"has no split '{chosen ?? string.Join("|", preferredSplits)}' (it has: {string.Join(", ", root.Splits)})", "name one of its splits, or its folder directly");
        }

        return Path.Combine(path, chosen);
    }

    /// <summary>
    /// The split root's manifest, or null for a single cache or a folder with no manifest: the one reader of a root
    /// (<see cref="SplitsOf"/>, <see cref="HasSplit"/>, <see cref="IsSingleCache"/> and <see cref="ResolveSplit"/> ask it).
    /// </summary>
    public static SplitRootManifest? TryReadSplitRoot(string path)
    {
        string manifestPath = Path.Combine(path, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            return null;
        }

        SplitRootManifest? root = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            root = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("splits", out _)
                ? doc.Deserialize<SplitRootManifest>(JsonFormats.Indented)
                : null;
        }
        catch (JsonException e)
        {
            Throw.BadCache(path, $"manifest.json is not valid ({e.Message})", "delete the folder and run extract again");
        }

        // Every reader (merge, info, audit, train, evaluate) goes through here: a split is one plain folder
        // inside the cache, so "../outside/x" or "/other/cache" can neither be written nor shown.
        foreach (var split in root?.Splits ?? [])
        {
            if (split is null || split.Contains('/', StringComparison.Ordinal) || !CachePath.IsPlainRelative(split))
            {
                Throw.BadCache(path, $"manifest names the split '{split}', which is not a plain folder name inside the cache",
                    "a root manifest may only name split folders beside it: extract again into a new folder");
            }
        }

        return root;
    }

    /// <summary>The one split-root rule: a root's split names, or one empty name for a single cache (or a folder with no root manifest).</summary>
    public static IReadOnlyList<string> SplitsOf(string path) => TryReadSplitRoot(path)?.Splits ?? [""];

    /// <summary>Each split's folder (<paramref name="path"/> itself for a single cache).</summary>
    public static IReadOnlyList<string> SplitFolders(string path) => SplitsOf(path).Select(s => s.Length == 0 ? path : Path.Combine(path, s)).ToList();

    /// <summary>True when <paramref name="path"/> holds a single cache: a manifest that is not a split root's.</summary>
    public static bool IsSingleCache(string path) => File.Exists(Path.Combine(path, ManifestFile)) && TryReadSplitRoot(path) is null;

    /// <summary>True when <paramref name="path"/> is a split root holding <paramref name="split"/>.</summary>
    public static bool HasSplit(string path, string split) => TryReadSplitRoot(path)?.Splits.Contains(split) == true;

    public static CacheManifest ReadManifest(string dir)
    {
        string path = Path.Combine(dir, ManifestFile);
        if (!File.Exists(path))
        {
            Throw.BadCache(dir, "no manifest.json here", "extract into it first; a killed extract is finished by running the same command again");
        }

        CacheManifest? manifest;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            manifest = JsonSerializer.Deserialize<CacheManifest>(stream, JsonFormats.Indented);
        }
        catch (JsonException e)
        {
            Throw.BadCache(dir, $"manifest.json is not valid ({e.Message})", "delete the folder and run extract again");
            return null;
        }

        if (manifest is null || manifest.Format != CacheManifest.FormatName)
        {
            Throw.BadCache(dir, "manifest.json is not a feature-cache manifest", "point at a folder written by extract");
        }

        if (manifest.FormatVersion > CacheManifest.CurrentFormatVersion)
        {
            Throw.BadCache(dir, $"format version {manifest.FormatVersion} is newer than this tool reads ({CacheManifest.CurrentFormatVersion})", "upgrade the tool");
        }

        return manifest;
    }
}
