using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

/// <summary>Settings and layouts that would lose or mislabel images are refused up front, saying why.</summary>
public sealed class LayoutRefusalTests
{
    private static readonly BackboneSpec Cpu = new() { Device = DeviceRequest.Cpu };

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void MaxPixelsBelowOneIsRefused(long maxPixels)
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 1);
        var e = Assert.Throws<InvalidSettingException>(() => FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = Cpu, MaxPixels = maxPixels }));
        Assert.Contains("max-pixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACacheInsideTheDataFolderIsRefusedBeforeWriting()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 1);
        var e = Assert.Throws<DataLayoutException>(() => FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = Path.Combine(data, "cache"), Backbone = Cpu }));
        Assert.Contains("inside the data folder", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(data, "cache")));
    }

    [Fact]
    public void AClassFolderNamedLikeASplitSaysWhy()
    {
        using var tmp = new TempDir();
        string data = tmp.Sub("data");
        foreach (var (folder, cls) in new[] { ("test", "cat"), ("dog", "dog") })
        {
            Directory.CreateDirectory(Path.Combine(data, folder));
            File.Copy(TestPaths.Photo("train", cls, 1), Path.Combine(data, folder, "a.jpg"));
        }

        var e = Assert.Throws<DataLayoutException>(() => ImageFolder.Scan(data));
        Assert.Contains("'test' is read as a split folder", e.Message, StringComparison.Ordinal);
        Assert.Contains("(dog)", e.Message, StringComparison.Ordinal);
    }
}
