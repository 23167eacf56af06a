using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Text.Json;
using Pipeline.Extractor.Platform;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// A feature cache opened for reading: the manifest, the labels in memory, and the features
/// memory-mapped (never loaded whole), so a 20,000 × 25,088 cache trains in batches.
/// </summary>
internal sealed unsafe partial class FeatureCache : IDisposable
{
    public const string ManifestFile = "manifest.json";
    private readonly List<MappedPart> _parts = [];

    private FeatureCache(string directory, CacheManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    public string Directory { get; }

    public CacheManifest Manifest { get; }

    public int Count => Manifest.Items.Count;

    public int FeatureLength => Manifest.Features.Length;

    public int[] Labels { get; private set; } = [];

    public IReadOnlyList<string> Classes => Manifest.Classes;

    /// <summary>
    /// Opens a cache directory. For a root made from split folders, <paramref name="split"/> picks
    /// one (default: the first of <paramref name="preferredSplits"/> that exists).
    /// </summary>
    public static FeatureCache Open(string path, string? split = null, params string[] preferredSplits)
    {
        string dir = ResolveSplit(path, split, preferredSplits);
        var manifest = ReadManifest(dir);
        var cache = new FeatureCache(dir, manifest);
        try
        {
            cache.MapParts();
            cache.ReadTargets();
        }
        catch
        {
            cache.Dispose();
            throw;
        }

        return cache;
    }

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

    private void MapParts()
    {
        var labels = new List<int>(Count);
        int rows = 0;
        foreach (var part in Manifest.Parts)
        {
            if (part.Rows < 0)
            {
                Throw.BadCache(Directory, $"manifest gives part '{part.Features}' {part.Rows} rows", "delete the folder and run extract again");
            }

            string features = CachePath.Resolve(Directory, part.Features), labelFile = CachePath.Resolve(Directory, part.Labels);
            try
            {
                _parts.Add(MappedPart.Open(features, Manifest.Features, part.Rows, rows));
                labels.AddRange(ReadLabels(labelFile, part.Rows));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Throw.BadCache(Directory, e.Message, "delete the folder and extract again (a finished cache is never half-written)");
            }

            rows += part.Rows;
        }

        if (rows != Count)
        {
            Throw.BadCache(Directory, $"parts hold {rows} rows but the manifest lists {Count} items", "delete the folder and run extract again");
        }

        Labels = labels.ToArray();
        int bad = Array.FindIndex(Labels, l => l < 0 || l >= Manifest.Classes.Count);
        if (bad >= 0)
        {
            Throw.BadCache(Directory, $"row {bad} has label {Labels[bad]}, outside the {Manifest.Classes.Count} classes", "delete the folder and run extract again");
        }
    }

    private static int[] ReadLabels(string path, int rows)
    {
        var (descr, shape, offset) = NpyFile.ReadHeader(path);
        if (descr != "<i4" || shape.Length != 1 || shape[0] != rows)
        {
            throw new InvalidDataException($"'{path}' should be int32 ({rows},), is {descr} ({string.Join(",", shape)})");
        }

        NpyFile.CheckLength(path, offset, (long)rows * 4);

        var bytes = File.ReadAllBytes(path).AsSpan((int)offset, rows * 4);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes).ToArray();
    }

    /// <summary>Copies row <paramref name="row"/> (flattened features) into <paramref name="destination"/> as float32.</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        foreach (var part in _parts)
        {
            if (row < part.FirstRow + part.Rows)
            {
                part.Read(row - part.FirstRow, destination[..FeatureLength]);
                if (!TensorPrimitives.IsFiniteAll<float>(destination[..FeatureLength]))
                {
                    // Training on it gives a NaN loss and a head that scores 50 %; the audit's geometry breaks.
                    ThrowNonFinite(row);
                }

                return;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(row), row, $"cache has {Count} rows");
    }

    /// <summary>Reads every row; throws naming the first one holding a NaN or infinity (as every read does).</summary>
    public void CheckRowsFinite()
    {
        var row = new float[FeatureLength];
        for (int r = 0; r < Count; r++)
        {
            ReadRow(r, row);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowNonFinite(int row) =>
        Throw.BadCache(Directory, $"row {row} ({(Manifest.Split.Length > 0 ? Manifest.Split + "/" : "")}{Manifest.Items[row].Path}) holds a NaN or infinity",
            "the backbone's outputs overflowed (float16 above 65,504, or a preprocessing std of 0): extract again with --dtype float32 and a finite preprocessing, or leave the image out with --exclude");

    /// <summary>Gathers rows into a (rows.Length, FeatureLength) float32 block.</summary>
    public void ReadRows(ReadOnlySpan<int> rows, Span<float> destination)
    {
        for (int i = 0; i < rows.Length; i++)
        {
            ReadRow(rows[i], destination.Slice(i * FeatureLength, FeatureLength));
        }
    }

    public void Dispose()
    {
        foreach (var p in _parts)
        {
            p.Dispose();
        }

        _parts.Clear();
    }

    private sealed class MappedPart : IDisposable
    {
        private MemoryMappedFile? _file;
        private MemoryMappedViewAccessor? _view;
        private byte* _data;
        private int _rowBytes;
        private bool _half;
        private int _length;

        public int FirstRow { get; private init; }

        public int Rows { get; private init; }

        public static MappedPart Open(string path, FeatureInfo info, int rows, int firstRow)
        {
            var (descr, shape, offset) = NpyFile.ReadHeader(path);
            bool half = info.Dtype == FeatureDtype.Float16;
            string expected = half ? "<f2" : "<f4";
            if (descr != expected || shape.Length != 2 || shape[0] != rows || shape[1] != info.Length)
            {
                throw new InvalidDataException($"'{path}' should be {expected} ({rows}, {info.Length}), is {descr} ({string.Join(", ", shape)})");
            }

            var part = new MappedPart { FirstRow = firstRow, Rows = rows, _half = half, _length = info.Length, _rowBytes = info.Length * (half ? 2 : 4) };

            // A file shorter than its header says would be read past its end through the mapping.
            NpyFile.CheckLength(path, offset, (long)rows * part._rowBytes);
            if (rows > 0)
            {
                part._file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                part._view = part._file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
                byte* p = null;
                part._view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                part._data = p + part._view.PointerOffset + offset;
            }

            return part;
        }

        public void Read(int row, Span<float> destination)
        {
            byte* src = _data + (long)row * _rowBytes;
            if (_half)
            {
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, _length), destination);
            }
            else
            {
                new ReadOnlySpan<float>(src, _length).CopyTo(destination);
            }
        }

        public void Dispose()
        {
            if (_view is not null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _file?.Dispose();
                _view = null;
            }
        }
    }
}
