using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;

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
