using System.Text.Json.Nodes;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests.Head;

/// <summary>One small real head (20 photos through the default backbone, hidden [8]), saved once and copied by each test.</summary>
public sealed class SmallHead : IDisposable
{
    private readonly TempDir _dir = new();

    public SmallHead()
    {
        string data = Datasets.SmallCatsDogs(_dir.Sub("data"), perClass: 10);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = Cache, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        using var cache = FeatureCache.Open(Cache);
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 2, Hidden = [8], Device = DeviceRequest.Cpu });
        head.Save(Folder, curves: false);
    }

    public string Cache => _dir.Sub("cache");

    public string Folder => _dir.Sub("head");

    /// <summary>A copy of the head in a new folder below <paramref name="parent"/>.</summary>
    public string Copy(string parent)
    {
        string to = Path.Combine(parent, "head-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(Folder))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        return to;
    }

    public void Dispose() => _dir.Dispose();
}

[Collection(HeadFileCollection.Name)]
public sealed class HeadFileTests(SmallHead small)
{
    [Theory]
    [InlineData("features.shape", "[0]", "features.shape")]
    [InlineData("features.shape", "[-5, 2]", "features.shape")]
    [InlineData("features.shape", "[100000, 100000]", "features.shape")]
    [InlineData("features.shape", "null", "features.shape")]
    [InlineData("options.hidden", "[-5]", "options.hidden")]
    [InlineData("options.hidden", "[0]", "options.hidden")]
    [InlineData("options.hidden", "null", "options.hidden")]
    [InlineData("options.dropout", "1.5", "options.dropout")]
    [InlineData("options", "null", "options.hidden")]
    [InlineData("classes", "null", "classes")]
    [InlineData("classes", "[\"cat\"]", "classes")]
    [InlineData("backbone", "null", "backbone")]
    [InlineData("preprocessing", "null", "preprocessing")]
    [InlineData("history", "null", "history")]
    [InlineData("format", "\"something-else\"", "format")]
    [InlineData("formatVersion", "99", "formatVersion")]
    public void TamperedFieldIsRefusedByName(string field, string json, string named)
    {
        using var tmp = new TempDir();
        string dir = small.Copy(tmp.Path);
        Edit(dir, field, JsonNode.Parse(json));

        var e = Assert.Throws<HeadFileException>(() => TrainedHead.Load(dir).Dispose());
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeclaredSizesBeyondTheWeightsAreRefusedBeforeAllocating()
    {
        using var tmp = new TempDir();
        string dir = small.Copy(tmp.Path);
        Edit(dir, "options.hidden", JsonNode.Parse("[3000000]"));

        // 3,000,000 × 512 floats would be 6 GB; the check reads only weights.bin's length.
        long before = GC.GetTotalAllocatedBytes();
        var e = Assert.Throws<HeadFileException>(() => TrainedHead.Load(dir).Dispose());
        Assert.Contains("weights.bin is", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 << 20, "the managed heap grew by more than 64 MB");
    }

    [Fact]
    public void NonFiniteWeightsAreRefused()
    {
        using var tmp = new TempDir();
        string dir = small.Copy(tmp.Path);
        using (var head = TrainedHead.Load(dir))
        {
            head.Weights.Layers[0].Weight[17] = float.NaN;
            head.Save(dir, curves: false);
        }

        var e = Assert.Throws<HeadFileException>(() => TrainedHead.Load(dir).Dispose());
        Assert.Contains("NaN or infinity", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("weights")]
    [InlineData("manifest")]
    [InlineData("commit")]
    [InlineData("rename head.json")]
    [InlineData("rename weights.bin")]
    [InlineData("uncommit")]
    public void ASaveKilledAtAnyStepLeavesTheOldHeadOrTheNewNeverAMix(string killedBefore)
    {
        using var tmp = new TempDir();
        string dir = small.Copy(tmp.Path);
        using var old = TrainedHead.Load(dir);
        string oldWeights = Convert.ToHexString(File.ReadAllBytes(Path.Combine(dir, TrainedHead.WeightsFile)));

        // The new head: the same architecture, other classes and other weights (what a silent mix would hide).
        using var cache = FeatureCache.Open(small.Cache);
        using var fresh = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 1, Hidden = [8], Seed = 7, Device = DeviceRequest.Cpu });
        using (var _ = torch.no_grad())
        {
            fresh.Model!.parameters().First().add_(1f);
        }

        HeadFiles.BeforeStep = step =>
        {
            if (step == killedBefore)
            {
                throw new KilledException();
            }
        };
        try
        {
            Assert.Throws<KilledException>(() => fresh.Save(dir, curves: false));
        }
        finally
        {
            HeadFiles.BeforeStep = null;
        }

        using var loaded = TrainedHead.Load(dir);
        var expected = killedBefore is "weights" or "manifest" or "commit" ? old : fresh;
        Assert.Equal(expected.Manifest.Options.Seed, loaded.Manifest.Options.Seed);
        Assert.Equal(expected.Weights.Layers[0].Weight, loaded.Weights.Layers[0].Weight);

        // The next save finishes or discards the cut-short one and leaves no temporaries.
        old.Save(dir, curves: false);
        Assert.Equal([TrainedHead.ManifestFile, TrainedHead.WeightsFile], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(oldWeights, Convert.ToHexString(File.ReadAllBytes(Path.Combine(dir, TrainedHead.WeightsFile))));
    }

    private static void Edit(string dir, string field, JsonNode? value)
    {
        string path = Path.Combine(dir, TrainedHead.ManifestFile);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var parts = field.Split('.');
        var target = root;
        foreach (var p in parts[..^1])
        {
            target = target[p]!.AsObject();
        }

        target[parts[^1]] = value;
        File.WriteAllText(path, root.ToJsonString());
    }

    private sealed class KilledException : Exception;
}

[CollectionDefinition(Name)]
public sealed class HeadFileCollection : ICollectionFixture<SmallHead>
{
    public const string Name = "a small saved head";
}
