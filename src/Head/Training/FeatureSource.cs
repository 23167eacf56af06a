namespace Pipeline.Head.Training;

/// <summary>
/// Several caches of one feature space read as one row space (training and validation together, for
/// cross-validation): global row g is row g − offset of its part. Rows stay memory-mapped.
/// </summary>
internal sealed class FeatureSource
{
    private readonly FeatureCache[] _parts;
    private readonly int[] _offsets;

    private readonly HashSet<int> _excluded = [];

    /// <summary>
    /// The training cache, then the validation cache when there is one (part 1), without the images listed in
    /// <paramref name="exclude"/> (each as the manifest has its path, or as SPLIT/PATH): every row of an excluded
    /// image, its views included, is left out of <see cref="RowsOf"/>.
    /// </summary>
    public static FeatureSource Of(FeatureCache train, FeatureCache? validation, IReadOnlyList<string>? exclude = null)
    {
        var source = validation is null ? new FeatureSource(train) : new FeatureSource(train, validation);
        if (exclude is { Count: > 0 })
        {
            var names = exclude.ToHashSet(StringComparer.Ordinal);
            for (int part = 0; part < source._parts.Length; part++)
            {
                string split = source._parts[part].Manifest.Split;
                foreach (int row in Enumerable.Range(source._offsets[part], source._parts[part].Count))
                {
                    string path = source.Items[row].Path;
                    if (names.Contains(path) || names.Contains($"{split}/{path}"))
                    {
                        source._excluded.Add(row);
                    }
                }
            }
        }

        return source;
    }

    public FeatureSource(params FeatureCache[] parts)
    {
        _parts = parts;
        _offsets = new int[parts.Length + 1];
        for (int i = 0; i < parts.Length; i++)
        {
            _offsets[i + 1] = _offsets[i] + parts[i].Count;
        }

        Labels = parts.SelectMany(p => p.Labels).ToArray();
        Items = parts.SelectMany(p => p.Manifest.Items).ToArray();
        MultiLabel = parts[0].MultiLabel;
        Targets = MultiLabel ? parts.SelectMany(p => p.Targets).ToArray() : [];
    }

    /// <summary>True for multi-label caches: <see cref="Targets"/> holds each row's multi-hot labels, and the head's outputs are sigmoids.</summary>
    public bool MultiLabel { get; }

    /// <summary>Multi-hot targets of every global row (rows, classes) uint8; empty when single-label.</summary>
    public byte[] Targets { get; }

    /// <summary>Row <paramref name="row"/>'s targets as floats (classes): 1 where the image has the label.</summary>
    public void ReadTargets(int row, Span<float> destination)
    {
        int k = ClassCount;
        for (int c = 0; c < k; c++)
        {
            destination[c] = Targets[(row * k) + c];
        }
    }

    /// <summary>True when part 1, the validation cache, is there.</summary>
    public bool HasValidation => _parts.Length > 1;

    public int FeatureLength => _parts[0].FeatureLength;

    /// <summary>Classes of the shared feature space (every part has the same list, checked before).</summary>
    public int ClassCount => _parts[0].Classes.Count;

    /// <summary>Class names of the shared feature space, in label order.</summary>
    public IReadOnlyList<string> Classes => _parts[0].Classes;

    /// <summary>Label of every global row.</summary>
    public int[] Labels { get; }

    /// <summary>Manifest item of every global row.</summary>
    public CacheItem[] Items { get; }

    /// <summary>The global rows of part <paramref name="part"/>.</summary>
    public IEnumerable<int> RowsOf(int part) => Enumerable.Range(_offsets[part], _parts[part].Count).Where(r => !_excluded.Contains(r));

    public void ReadRow(int row, Span<float> destination)
    {
        int part = PartOf(row);
        _parts[part].ReadRow(row - _offsets[part], destination);
    }

    /// <summary>Rows into <paramref name="destination"/>, (rows.Length, F).</summary>
    public void ReadRows(ReadOnlySpan<int> rows, Span<float> destination)
    {
        int f = FeatureLength;
        for (int i = 0; i < rows.Length; i++)
        {
            ReadRow(rows[i], destination.Slice(i * f, f));
        }
    }

    /// <summary>Where global row <paramref name="row"/> comes from: its cache, split and image path, as an error names it.</summary>
    public string Describe(int row)
    {
        int part = PartOf(row);
        var cache = _parts[part];
        string split = cache.Manifest.Split;
        return $"row {row - _offsets[part]} of cache '{cache.Directory}' ({(split.Length > 0 ? split + "/" : "")}{Items[row].Path})";
    }

    private int PartOf(int row)
    {
        int part = Array.BinarySearch(_offsets, row);
        return part >= 0 ? Math.Min(part, _parts.Length - 1) : ~part - 1;
    }
}
