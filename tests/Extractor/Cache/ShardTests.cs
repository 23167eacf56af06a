using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Cache;

public sealed class ShardTests
{
    /// <summary>
    /// Two shard tasks (separate processes, as a Slurm array or an Indexed Job runs them), then
    /// merge: the merged cache holds every image once, each row bit-identical to a single run's.
    /// </summary>
    [Fact]
    public void ShardsExtractedSeparatelyMergeIntoTheSameCacheAsOneRun()
    {
        using var tmp = new TempDir();
        Datasets.SmallCatsDogs(tmp.Sub("data", "train"), perClass: 3);
        Datasets.SmallCatsDogs(tmp.Sub("data", "test"), perClass: 2, first: 4001, split: "test");
        string data = tmp.Sub("data"), sharded = tmp.Sub("sharded");

        var missing = CliProcess.Run("extract", "--data", data, "--out", sharded, "--device", "cpu", "--quiet", "--shard", "1/2");
        Assert.True(missing.ExitCode == 0, missing.Stderr);
        var early = CliProcess.Run("merge", sharded);
        Assert.Equal((int)ExitCode.BadCache, early.ExitCode);
        Assert.Contains("missing 0/2", early.Stderr);

        var other = CliProcess.Run("extract", "--data", data, "--out", sharded, "--device", "cpu", "--quiet", "--shard", "0/2");
        Assert.True(other.ExitCode == 0, other.Stderr);
        var merged = CliProcess.Run("merge", sharded);
        Assert.True(merged.ExitCode == 0, merged.Stderr);
        Assert.Contains("train: 2 shards merged, 6 rows", merged.Stdout);

        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("single"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        foreach (var split in new[] { "train", "test" })
        {
            using var a = FeatureCache.Open(sharded, split);
            using var b = FeatureCache.Open(tmp.Sub("single"), split);
            Assert.Equal(2, a.Manifest.Parts.Count);
            Assert.Equal(b.Count, a.Count);
            var rowOf = b.Manifest.Items.Select((item, row) => (item.Path, row)).ToDictionary(x => x.Path, x => x.row);
            var (ra, rb) = (new float[a.FeatureLength], new float[b.FeatureLength]);
            for (int r = 0; r < a.Count; r++)
            {
                a.ReadRow(r, ra);
                b.ReadRow(rowOf[a.Manifest.Items[r].Path], rb);
                Assert.True(ra.AsSpan().SequenceEqual(rb), $"{split}/{a.Manifest.Items[r].Path} differs between shard and single run");
                Assert.Equal(b.Labels[rowOf[a.Manifest.Items[r].Path]], a.Labels[r]);
            }
        }

        using var train = FeatureCache.Open(sharded, "train");
        using var head = HeadTrainer.Train(train, null, new HeadOptions { Epochs = 2, Device = DeviceRequest.Cpu });
        Assert.Equal(6, head.Manifest.TrainImages);
    }

    [Theory]
    [InlineData("2/2")]
    [InlineData("1")]
    [InlineData("-1/3")]
    [InlineData("a/b")]
    public void BadShardIsRefused(string shard) =>
        Assert.Equal(ExitCode.BadArgument, Reported.Of(Assert.ThrowsAny<PipelineException>(() => Shard.Parse(shard))).Code);
}
