using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

/// <summary>Linux names are bytes: every legal name is read as itself, or skipped with its reason, never confused with another.</summary>
public sealed class FileNameTests
{
    private static readonly BackboneSpec Cpu = new() { Device = DeviceRequest.Cpu };

    [Fact]
    public void ABackslashInANameIsKeptAndTheFileRead()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        string odd = Path.Combine(data, "cat", "back\\slash.jpg");
        File.Copy(TestPaths.Photo("train", "cat", 50), odd);

        var report = FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu });

        Assert.Empty(report.Splits[0].Skipped);
        var item = FeatureCache.ReadManifest(tmp.Sub("cache")).Items.Single(i => i.Path.Contains('\\', StringComparison.Ordinal));
        Assert.Equal("cat/back\\slash.jpg", item.Path);
        Assert.Equal(Hash(odd), item.Sha256);
    }

    /// <summary>
    /// <c>bad\xff.jpg</c> (a cat), <c>bad\xfe.jpg</c> (a dog) and a real <c>bad\uFFFD.jpg</c> (another dog) all list
    /// in .NET as the last: before, three rows named it, each with its hash. Now it is read once, the two others skipped.
    /// </summary>
    [Fact]
    public void NamesThatAreNotUtf8AreSkippedWithTheirReasonAndNeverReadAsAnotherFile()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        string cat = Path.Combine(data, "cat");
        var py = Python.Run("""
            import os, sys
            folder = os.fsencode(sys.argv[1])
            for name, source in ((b'bad\xff.jpg', sys.argv[2]), (b'bad\xfe.jpg', sys.argv[3])):
                fd = os.open(folder + b'/' + name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, open(source, 'rb').read())
                os.close(fd)
            """, cat, TestPaths.Photo("train", "cat", 60), TestPaths.Photo("train", "dog", 61));
        Assert.True(py.ExitCode == 0, py.Stderr);
        string genuine = Path.Combine(cat, "bad\uFFFD.jpg");
        File.Copy(TestPaths.Photo("train", "dog", 62), genuine);

        var options = new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu };
        var report = FeatureExtractor.Run(options);

        var manifest = FeatureCache.ReadManifest(tmp.Sub("cache"));
        var named = manifest.Items.Where(i => i.Path.Contains('\uFFFD', StringComparison.Ordinal)).ToList();
        Assert.Single(named);
        Assert.Equal(Hash(genuine), named[0].Sha256);
        Assert.Equal(5, manifest.Items.Count);
        Assert.Equal(["cat/bad\\xFE.jpg", "cat/bad\\xFF.jpg"], manifest.Skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.All(manifest.Skipped, s => Assert.Equal(ImageFolder.NotUtf8, s.Reason));
        Assert.Equal(5, report.Splits[0].Images);
        Assert.Equal(5, report.Computed);

        var again = FeatureExtractor.Run(options);
        Assert.Equal(0, again.Computed);
    }

    [Fact]
    public void WithoutTheGenuineNameBothAreSkippedAsNotUtf8NotAsVanished()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        var py = Python.Run("""
            import os, sys
            for name in (b'bad\xff.jpg', b'sub\xfe'):
                path = os.fsencode(sys.argv[1]) + b'/' + name
                if name.startswith(b'sub'):
                    os.mkdir(path)
                    path += b'/inside.jpg'
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
                os.write(fd, open(sys.argv[2], 'rb').read())
                os.close(fd)
            """, Path.Combine(data, "dog"), TestPaths.Photo("train", "dog", 70));
        Assert.True(py.ExitCode == 0, py.Stderr);

        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu });

        var manifest = FeatureCache.ReadManifest(tmp.Sub("cache"));
        Assert.Equal(["dog/bad\\xFF.jpg", "dog/sub\\xFE"], manifest.Skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.All(manifest.Skipped, s => Assert.Equal(ImageFolder.NotUtf8, s.Reason));
        Assert.Equal(4, manifest.Items.Count);
    }

    /// <summary>Empty files are skipped rows: the summary counted them as cached and computed (16 real rows reported as 100,016).</summary>
    [Fact]
    public void SkippedFilesAreNeitherRowsNorComputed()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        for (int i = 0; i < 300; i++)
        {
            File.WriteAllBytes(Path.Combine(data, i % 2 == 0 ? "cat" : "dog", $"empty{i:D3}.jpg"), []);
        }

        var report = FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu });

        Assert.Equal(4, report.Splits[0].Images);
        Assert.Equal(4, report.Computed);
        Assert.Equal(300, report.SkippedCount);
    }

    private static string Hash(string path)
    {
        using var fs = File.OpenRead(path);
        return Sha256.Hex(fs);
    }
}
