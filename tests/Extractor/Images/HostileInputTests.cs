using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Images;

/// <summary>The red-team report's cases (issue 12), each made on disk in the test.</summary>
public sealed class HostileInputTests
{
    private static readonly BackboneSpec Cpu = new() { Device = DeviceRequest.Cpu };

    /// <summary>
    /// One extract over every hostile case beside good photos, in the real CLI: it finishes, lists
    /// each broken file with its reason, caches each valid odd file, and stays within a bounded peak
    /// memory (the case of a 9999×9999 PNG, a 500-frame GIF and a 9000×9000 BMP header each took
    /// 1.6–6 GB before). The peak is the kernel's (wait4's ru_maxrss of the CLI process, read by a
    /// Python parent when it exits), not a sample; no clock decides the outcome.
    /// </summary>
    [Fact]
    public void ExtractOverTheWholeHostileCorpusFinishesListsEveryReasonAndStaysSmall()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 3);
        string cat = Path.Combine(data, "cat"), dog = Path.Combine(data, "dog");
        string photo = TestPaths.Photo("train", "cat", 30);
        HostileFiles.PngCorruptZlib(photo, Path.Combine(cat, "zlib.png"));
        HostileFiles.CutInHalf(photo, Path.Combine(cat, "half.png"), "PNG");
        HostileFiles.CutInHalf(photo, Path.Combine(cat, "half.webp"), "WEBP");
        HostileFiles.WebpCorrupt(photo, Path.Combine(cat, "corrupt.webp"));
        HostileFiles.BmpShort(photo, Path.Combine(cat, "short.bmp"));
        HostileFiles.JpegClaiming(photo, Path.Combine(dog, "sof9000.jpg"), 9000, 9000);
        HostileFiles.BmpClaiming(Path.Combine(dog, "claim9000.bmp"), 9000, 9000, 1024);
        HostileFiles.GifManyFrames(Path.Combine(dog, "frames.gif"), 2000, 2000, 500);
        HostileFiles.Fifo(Path.Combine(dog, "fifo.jpg"));
        File.WriteAllBytes(Path.Combine(dog, "Thumbs.db"), [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0]);
        File.WriteAllBytes(Path.Combine(dog, "scan.tif"), [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0]);
        HostileFiles.PngOfZeros(Path.Combine(dog, "zeros.png"), 9999, 9999);
        BadImages.Reencode(TestPaths.Photo("train", "dog", 31), Path.Combine(dog, "big.png"), "PNG", 5000, 3750);
        Directory.CreateDirectory(Path.Combine(cat, ".thumbs"));
        File.Copy(TestPaths.Photo("train", "dog", 32), Path.Combine(cat, ".thumbs", "dog-in-hiding.jpg"));
        Directory.CreateSymbolicLink(Path.Combine(cat, "loop"), "..");

        var run = Python.Run("""
            import os, subprocess, sys
            child = subprocess.Popen(sys.argv[2:])
            _, status, usage = os.wait4(child.pid, 0)
            with open(sys.argv[1], "w") as f:
                f.write(str(usage.ru_maxrss * 1024))
            sys.exit(os.waitstatus_to_exitcode(status))
            """, tmp.Sub("peak-rss"), "dotnet", TestPaths.CliDll, "extract", "--data", data, "--out", tmp.Sub("cache"), "--device", "cpu", "--batch", "4", "--json");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        long peak = long.Parse(File.ReadAllText(tmp.Sub("peak-rss")), System.Globalization.CultureInfo.InvariantCulture);
        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        var skipped = cache.Manifest.Skipped.ToDictionary(s => s.Path, s => s.Reason);
        string[] broken = ["cat/zlib.png", "cat/half.png", "cat/half.webp", "cat/corrupt.webp", "cat/short.bmp",
                           "dog/sof9000.jpg", "dog/claim9000.bmp", "dog/fifo.jpg", "dog/Thumbs.db", "dog/scan.tif"];
        Assert.Equal(broken.Order(StringComparer.Ordinal), skipped.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("not a regular file", skipped["dog/fifo.jpg"]);
        Assert.Contains("TIFF", skipped["dog/scan.tif"]);
        Assert.Contains("not an image", skipped["dog/Thumbs.db"]);
        Assert.All(skipped.Values, reason => Assert.False(string.IsNullOrWhiteSpace(reason)));

        // The 6 photos, the 500-frame GIF (first frame), the huge PNG of zeros (streamed) and the 19 MP PNG;
        // nothing from the hidden folder, nothing twice through the loop.
        var paths = cache.Manifest.Items.Select(i => i.Path).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["cat/cat.1.jpg", "cat/cat.2.jpg", "cat/cat.3.jpg", "dog/big.png", "dog/dog.1.jpg", "dog/dog.2.jpg", "dog/dog.3.jpg", "dog/frames.gif", "dog/zeros.png"], paths);
        Assert.True(peak < 1L << 30, $"peak RSS {peak / (1 << 20)} MB");
    }

    [Fact]
    public async Task FifoIsRefusedWithoutBeingOpened()
    {
        using var tmp = new TempDir();
        string fifo = tmp.Sub("x.jpg");
        HostileFiles.Fifo(fifo);
        var decoder = new ImageDecoder();
        var read = Task.Run(() => Assert.Throws<InvalidImageException>(() => decoder.ReadFile(fifo, new byte[32])));
        var e = await read.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void LargePngIsStreamedThroughTheBoxFilterAndMatchesTheFullDecode()
    {
        using var tmp = new TempDir();
        string big = BadImages.Reencode(TestPaths.Photo("train", "cat", 33), tmp.Sub("big.png"), "PNG", 4480, 3360);   // 15 MP → 60 MB RGBA: just under
        string bigger = BadImages.Reencode(TestPaths.Photo("train", "cat", 33), tmp.Sub("bigger.png"), "PNG", 4800, 3600); // 17 MP: streamed
        var pre = new Preprocessor(BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nchw) with { Resize = ResizeMode.Crop });
        float[] Features(string path) => BadImages.PreprocessedSlot(pre, path);

        var full = Features(big);
        var streamed = Features(bigger);
        double mean = full.Zip(streamed, (a, b) => Math.Abs(a - b)).Average() * 255;
        Assert.True(mean < 2.0, $"mean difference streamed vs full decode: {mean:F2} grey levels");
    }

    [Fact]
    public void ShortFeaturesFileIsAClearErrorNotANumber()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu });
        string features = tmp.Sub("cache", "features.npy");
        using (var fs = new FileStream(features, FileMode.Open))
        {
            fs.SetLength(4096);
        }

        var e = Assert.ThrowsAny<PipelineException>(() => FeatureCache.Open(tmp.Sub("cache")));
        Assert.Equal(ExitCode.BadCache, Reported.Of(e).Code);
        Assert.Contains("features.npy", e.Message);
        Assert.Contains("truncated", e.Message);

        var cli = CliProcess.Run("info", tmp.Sub("cache"));
        Assert.Equal((int)ExitCode.BadCache, cli.ExitCode);
        Assert.Contains("features.npy", cli.Stderr);
    }

    [Theory]
    [InlineData("../outside/x.npy")]
    [InlineData("/etc/passwd")]
    [InlineData("shards/../../x.npy")]
    public void ManifestPartPathsCannotLeaveTheCache(string partPath)
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu });
        string manifest = tmp.Sub("cache", FeatureCache.ManifestFile);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"features.npy\"", System.Text.Json.JsonSerializer.Serialize(partPath)));

        var e = Assert.ThrowsAny<PipelineException>(() => FeatureCache.Open(tmp.Sub("cache")));
        Assert.Equal(ExitCode.BadCache, Reported.Of(e).Code);
        Assert.Contains("not a plain relative path inside the cache", e.Message);
    }

    [Fact]
    public void SecondWriterIntoOneCacheIsRefusedWhileTheFirstHoldsIt()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        using (Pipeline.Extractor.Cache.CacheLock.Acquire(tmp.Sub("cache")))
        {
            var e = Assert.ThrowsAny<PipelineException>(() => FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu }));
            Assert.Equal(ExitCode.CacheLocked, Reported.Of(e).Code);
        }

        var report = FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu });
        Assert.Equal(4, report.Computed);
    }
}
