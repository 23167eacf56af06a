namespace Pipeline.Extractor.Cache;

/// <summary>A multi-label cache's multi-hot targets (<see cref="CacheManifest.MultiLabel"/>), read whole: one byte per row and label.</summary>
internal sealed partial class FeatureCache
{
    /// <summary>True when an image may have several labels: <see cref="Targets"/> holds them, <see cref="Classes"/> is the label vocabulary.</summary>
    public bool MultiLabel => Manifest.MultiLabel == true;

    /// <summary>Multi-hot targets (rows, classes), row-major, 1 where the image has the label; empty for a single-label cache.</summary>
    public byte[] Targets { get; private set; } = [];

    /// <summary>Whether row <paramref name="row"/> has label <paramref name="label"/>: its target in a multi-label cache, its one label otherwise.</summary>
    public bool Has(int row, int label) => MultiLabel ? Targets[(row * Classes.Count) + label] != 0 : Labels[row] == label;

    private void ReadTargets()
    {
        if (!MultiLabel)
        {
            return;
        }

        int k = Classes.Count;
        var targets = new byte[(long)Count * k];
        long at = 0;
        foreach (var part in Manifest.Parts)
        {
            if (part.Targets is null)
            {
                Throw.BadCache(Directory, $"is multi-label but part '{part.Features}' names no targets file", "delete the folder and extract again with --label-separator");
            }

            string path = CachePath.Resolve(Directory, part.Targets);
            try
            {
                var (descr, shape, offset) = NpyFile.ReadHeader(path);
                if (descr != "|u1" || shape.Length != 2 || shape[0] != part.Rows || shape[1] != k)
                {
                    throw new InvalidDataException($"'{path}' should be uint8 ({part.Rows}, {k}), is {descr} ({string.Join(", ", shape)})");
                }

                NpyFile.CheckLength(path, offset, (long)part.Rows * k);
                using var stream = File.OpenRead(path);
                stream.Seek(offset, SeekOrigin.Begin);
                stream.ReadExactly(targets.AsSpan((int)at, part.Rows * k));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Throw.BadCache(Directory, e.Message, "delete the folder and extract again (a finished cache is never half-written)");
            }

            at += (long)part.Rows * k;
        }

        if (Array.FindIndex(targets, t => t > 1) is var bad and >= 0)
        {
            Throw.BadCache(Directory, $"row {bad / k} has target {targets[bad]} for label '{Classes[bad % k]}', not 0 or 1", "delete the folder and extract again");
        }

        Targets = targets;
    }
}
