namespace Pipeline.Extractor.Cache;

/// <summary>
/// One cached row: an image, clean (<see cref="Kind"/> null), one of its random views
/// (<c>augmented</c>, <see cref="View"/> 1…K), or its horizontal <c>mirror</c>.
/// </summary>
internal sealed record CacheItem(string Path, int Label, long Bytes, string Sha256)
{
    public int View { get; init; }

    public RowKind? Kind { get; init; }

    /// <summary>Identity of the row within its split: path, plus the view for a non-clean row.</summary>
    public string RowId => RowIdOf(Path, Kind, View);

    public static string RowIdOf(string path, RowKind? kind, int view) => kind switch
    {
        null => path,
        RowKind.Mirror => path + "#mirror",
        _ => $"{path}#view{view}",
    };
}
