namespace Pipeline;

/// <summary>
/// The int8 file features of precision int8 came from (<c>--precision int8</c>): kept beside the cache that made it,
/// named by the source model's hash and the calibration's. A head trained on such features runs behind this file again
/// (predict, evaluate on images, export), found by its path and checked by its hash, so it never needs the calibration
/// images.
/// </summary>
public sealed record QuantizedBackbone
{
    /// <summary>
    /// The calibration's identity (12 hex digits): its settings, the pooled graph's output, and each sampled image's
    /// path and content. Part of the feature space: features from another calibration are other features.
    /// </summary>
    public required string Calibration { get; init; }

    /// <summary>Where the int8 file was kept, as a full path (CACHE/.models/SOURCE12-int8-CALIBRATION12.onnx).</summary>
    public required string File { get; init; }

    /// <summary>SHA-256 of the int8 file: a file found at <see cref="File"/> (or given instead) must have it.</summary>
    public required string Sha256 { get; init; }
}
