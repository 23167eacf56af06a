using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Images;

public sealed class BadInputTests
{
    private static readonly BackboneSpec Cpu = new() { Device = DeviceRequest.Cpu };

    [Fact]
    public void BadFilesAreSkippedWithPathAndReasonAndOddImagesJustWork()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 3);
        string cat = Path.Combine(data, "cat"), dog = Path.Combine(data, "dog");
        BadImages.Corrupt(TestPaths.Photo("train", "cat", 11), Path.Combine(cat, "corrupt.jpg"));
        BadImages.Truncated(TestPaths.Photo("train", "cat", 10), Path.Combine(cat, "truncated.jpg"));
        BadImages.Empty(Path.Combine(cat, "empty.jpg"));
        BadImages.TextWithImageName(Path.Combine(dog, "notes.jpg"));
        BadImages.PngBomb(Path.Combine(dog, "bomb.png"), 60_000, 60_000);
        var odd = BadImages.OddButValid(TestPaths.Photo("train", "dog", 20), dog);
        BadImages.CmykJpeg(TestPaths.Photo("train", "cat", 21), Path.Combine(cat, "cmyk.jpg"));

        var report = FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu, Batch = 4 });

        var skipped = report.Splits[0].Skipped.ToDictionary(s => s.Path, s => s.Reason);
        Assert.Equal(5, skipped.Count);
        Assert.Contains("corrupt", skipped["cat/corrupt.jpg"], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("truncated", skipped["cat/truncated.jpg"]);
        Assert.Contains("empty", skipped["cat/empty.jpg"]);
        Assert.Contains("not an image", skipped["dog/notes.jpg"]);
        Assert.Contains("over the limit", skipped["dog/bomb.png"]);

        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        Assert.Equal(6 + odd.Count + 1, cache.Count);
        Assert.Equal(skipped.Keys.Order(), cache.Manifest.Skipped.Select(s => s.Path).Order());
        var paths = cache.Manifest.Items.Select(i => i.Path).ToHashSet();
        Assert.All(odd, f => Assert.Contains("dog/" + Path.GetFileName(f), paths));
        Assert.Contains("cat/cmyk.jpg", paths);
        var row = new float[cache.FeatureLength];
        for (int r = 0; r < cache.Count; r++)
        {
            cache.ReadRow(r, row);
            Assert.All(row, v => Assert.True(float.IsFinite(v)));
            Assert.True(row.Max() > 0, $"row {r} ({cache.Manifest.Items[r].Path}) is all zeros");
        }
    }

    [Fact]
    public void CliReportsSkippedFilesAndExitsZeroUnlessStrict()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        BadImages.Corrupt(TestPaths.Photo("train", "cat", 11), Path.Combine(data, "cat", "broken.jpg"));

        var normal = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("a"), "--device", "cpu", "--quiet");
        Assert.Equal(0, normal.ExitCode);
        Assert.Contains("skipped cat/broken.jpg: corrupt", normal.Stdout);

        var strict = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("b"), "--device", "cpu", "--quiet", "--strict");
        Assert.Equal((int)ExitCode.SkippedFilesStrict, strict.ExitCode);
        Assert.True(File.Exists(tmp.Sub("b", "manifest.json")), "strict still writes the cache of the good files");
    }

    [Fact]
    public void DecompressionBombIsRefusedFromItsHeaderBeforeAnyDecoding()
    {
        using var tmp = new TempDir();
        string bomb = tmp.Sub("bomb.png");
        BadImages.PngBomb(bomb, 30_000, 30_000);
        var decoder = new ImageDecoder();
        decoder.ReadFile(bomb, new byte[32]);
        var image = new DecodedImage();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<InvalidImageException>(() => decoder.Decode(image));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Contains("30000x30000", e.Message);
        Assert.True(allocated < 16 << 20, $"refusing the bomb allocated {allocated:N0} bytes");
    }

    [Fact]
    public void TruncatedJpegIsDetected()
    {
        using var tmp = new TempDir();
        string cut = tmp.Sub("cut.jpg");
        BadImages.Truncated(TestPaths.Photo("train", "dog", 3), cut);
        Assert.Null(ImageDecoder.JpegProblem(File.ReadAllBytes(TestPaths.Photo("train", "dog", 3))));
        Assert.StartsWith("truncated JPEG", ImageDecoder.JpegProblem(File.ReadAllBytes(cut)));
        var e = Assert.Throws<InvalidImageException>(() => BadImages.DecodeFull(cut));
        Assert.Contains("truncated", e.Message);
    }

    /// <summary>Pillow writes orientation 6 (shown turned 90° clockwise): the decoded image is upright, and equals the stored pixels turned.</summary>
    [Fact]
    public void ExifOrientationIsApplied()
    {
        using var tmp = new TempDir();
        var files = BadImages.OddButValid(TestPaths.Photo("train", "cat", 5), tmp.Path);
        var rotated = BadImages.DecodeFull(files.Single(f => f.EndsWith("rotated.jpg", StringComparison.Ordinal)));
        var original = BadImages.DecodeFull(TestPaths.Photo("train", "cat", 5));
        Assert.Equal((original.Height, original.Width), (rotated.Width, rotated.Height));

        // Orientation 6: the shown pixel (x, y) is the stored (y, h - 1 - x); JPEG re-encoding costs a few grey levels.
        double diff = 0;
        int n = 0;
        for (int y = 0; y < rotated.Height; y += 7)
        {
            for (int x = 0; x < rotated.Width; x += 7)
            {
                int s = ((((original.Height - 1 - x) * original.Width) + y) * 4) + 1;
                diff += Math.Abs(rotated.Pixels[((y * rotated.Width) + x) * 4 + 1] - original.Pixels[s]);
                n++;
            }
        }

        Assert.True(diff / n < 6, $"mean green difference to the turned original: {diff / n:F2}");
    }
}
