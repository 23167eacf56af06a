using SkiaSharp;

namespace Pipeline.Tooling;

/// <summary>
/// A large photo set made from a small one, for throughput runs at scale: photo i is source photo i mod n,
/// its border cropped by a few pixels and re-encoded at its own JPEG quality, so no two files are alike
/// (nothing is served twice from a cache) while each stays a real photo of its class.
/// </summary>
internal static class PhotoSet
{
    /// <summary>Writes <paramref name="count"/> JPEGs under <paramref name="target"/>, keeping each source's class folder; returns the bytes written.</summary>
    public static long Make(string source, string target, int count)
    {
        // Classes interleaved (cat 1, dog 1, cat 2, …), so any count draws from every class folder.
        var sources = ImageFolder.FilesBelow(source).Where(ImageFolder.IsImageFile)
            .GroupBy(Path.GetDirectoryName).SelectMany(g => g.Select((file, i) => (file, i))).OrderBy(x => x.i).ThenBy(x => x.file, StringComparer.Ordinal)
            .Select(x => x.file).ToList();
        if (sources.Count == 0)
        {
            throw new DataLayoutException(source, "holds no images to copy from");
        }

        // Each source decoded once, up front (a lazy decode inside the loop would race and leak).
        var decoded = sources.Take(count).AsParallel().AsOrdered().WithDegreeOfParallelism(CpuBudget.Cores).Select(SKBitmap.Decode).ToArray();
        long bytes = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = CpuBudget.Cores }, i =>
        {
            int s = i % decoded.Length, round = i / decoded.Length;
            var bitmap = decoded[s];
            if (bitmap is null)
            {
                return;
            }

            int crop = Math.Min(round % 7, Math.Min(bitmap.Width, bitmap.Height) / 4);
            var area = new SKRectI(crop, crop, bitmap.Width - crop, bitmap.Height - crop);
            using var cropped = new SKBitmap(area.Width, area.Height);
            bitmap.ExtractSubset(cropped, area);
            using var data = cropped.Encode(SKEncodedImageFormat.Jpeg, 70 + (round % 26));
            string relative = Path.GetRelativePath(source, sources[s]);
            string file = Path.Combine(target, Path.GetDirectoryName(relative) ?? "", $"{round:D5}-{Path.GetFileNameWithoutExtension(relative)}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            AtomicFile.Write(file, data.AsSpan());
            Interlocked.Add(ref bytes, data.Size);
        });
        foreach (var b in decoded)
        {
            b?.Dispose();
        }

        return bytes;
    }
}
