namespace Pipeline.Extractor.Cache;

/// <summary>One stored part: a features file (rows, length) and a labels file (rows,) int32.</summary>
internal sealed record CachePart(string Features, string Labels, int Rows)
{
    /// <summary>A multi-label cache's multi-hot targets of these rows, (rows, classes) uint8 (1: the image has that label); null when single-label.</summary>
    public string? Targets { get; init; }
}
