namespace Pipeline.Extractor.Cache;

/// <summary>One stored part: a features file (rows, length) and a labels file (rows,) int32.</summary>
internal sealed record CachePart(string Features, string Labels, int Rows);
