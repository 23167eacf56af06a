using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Training;

public sealed class TrainFromCacheOnlyTests
{
    [Fact]
    public void TrainingNeedsOnlyTheCacheNotTheImages()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 10);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        Directory.Delete(data, recursive: true);

        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 5, Device = DeviceRequest.Cpu });
        Assert.Equal(5, head.Manifest.History.Count);
        Assert.True(head.Manifest.History[^1].TrainAccuracy > 0.9);

        var cli = CliProcess.Run("train", "--cache", tmp.Sub("cache"), "--out", tmp.Sub("head"), "--epochs", "3", "--head-device", "cpu");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Matches(@"epoch\s+3/3\s+train loss \d+\.\d+ acc [\d.]+ %\s+\d+ ms", cli.Stdout);
        Assert.True(File.Exists(tmp.Sub("head", "head.json")));
    }
}
