using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

/// <summary>
/// The walkthrough's data preparation without copying a file: a flat class-per-folder tree (all 1,600
/// shared photos, copied flat into a temp folder here) split by a hash of each path and the seed.
/// </summary>
public sealed class SplitSelectionTests
{
    private static readonly SplitRule EightyTenTen = SplitRule.Parse("train=0.8,validation=0.1,test=0.1", "split");

    [Fact]
    public void FractionsGiveEachClassItsShareUpToSamplingNoise()
    {
        using var tmp = new TempDir();
        var folder = ImageFolder.Scan(FlatCopy(tmp.Sub("flat")), new ImageSelection(EightyTenTen, null, 42));
        Assert.Equal(["train", "validation", "test"], folder.Splits.Select(s => s.Name));
        foreach (var split in folder.Splits)
        {
            double f = EightyTenTen.ShareOf(split.Name);
            foreach (int label in new[] { 0, 1 })
            {
                int n = split.Items.Count(i => i.Label == label);
                double sigma = Math.Sqrt(800 * f * (1 - f));   // binomial: each image lands independently
                Assert.True(Math.Abs(n - (800 * f)) <= 4 * sigma, $"{split.Name} class {label}: {n} images, expected {800 * f} ± {4 * sigma:F1}");
            }
        }
    }

    [Fact]
    public void CountsGiveExactlyThatManyImagesPerClass()
    {
        using var tmp = new TempDir();
        var rule = SplitRule.Parse("train=500,validation=100,test=200", "split");
        var folder = ImageFolder.Scan(FlatCopy(tmp.Sub("flat")), new ImageSelection(rule, null, 42));
        foreach (var split in folder.Splits)
        {
            Assert.All(new[] { 0, 1 }, label => Assert.Equal((int)rule.ShareOf(split.Name), split.Items.Count(i => i.Label == label)));
        }
    }

    [Fact]
    public void SplitsNeverOverlapAndCoverEveryImage()
    {
        using var tmp = new TempDir();
        var folder = ImageFolder.Scan(FlatCopy(tmp.Sub("flat")), new ImageSelection(EightyTenTen, null, 7));
        var all = folder.Splits.SelectMany(s => s.Items.Select(i => i.RelativePath)).ToList();
        Assert.Equal(1600, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(folder.Splits.SelectMany(s => s.Items), i => Assert.StartsWith(folder.Classes[i.Label] + "/", i.RelativePath));
    }

    [Fact]
    public void AddingTenPhotosMovesNoOldOneToAnotherSplit()
    {
        using var tmp = new TempDir();
        string flat = FlatCopy(tmp.Sub("flat"), exceptLast: 5);
        var before = Assignment(ImageFolder.Scan(flat, new ImageSelection(EightyTenTen, null, 42)));
        AddLastFive(flat);
        var after = Assignment(ImageFolder.Scan(flat, new ImageSelection(EightyTenTen, null, 42)));
        Assert.Equal(before.Count + 10, after.Count);
        var moved = before.Where(kv => after[kv.Key] != kv.Value).Select(kv => kv.Key).ToList();
        Assert.True(moved.Count == 0, $"moved: {string.Join(", ", moved)}");
    }

    [Fact]
    public void AnotherSeedGivesAnotherAssignment()
    {
        using var tmp = new TempDir();
        string flat = FlatCopy(tmp.Sub("flat"));
        var a = Assignment(ImageFolder.Scan(flat, new ImageSelection(EightyTenTen, null, 1)));
        var b = Assignment(ImageFolder.Scan(flat, new ImageSelection(EightyTenTen, null, 2)));
        Assert.True(a.Count(kv => b[kv.Key] != kv.Value) > 100, "the seed should reshuffle the splits");
    }

    [Fact]
    public void SampleKeepsNPerClassOfTheTrainingSplitAndLeavesTheOthersWhole()
    {
        using var tmp = new TempDir();
        string flat = FlatCopy(tmp.Sub("flat"));
        var full = ImageFolder.Scan(flat, new ImageSelection(EightyTenTen, null, 42));
        var sampled = ImageFolder.Scan(flat, new ImageSelection(EightyTenTen, SplitRule.Parse("50", "sample", bareCountIsTrain: true), 42));
        var train = sampled.Splits.Single(s => s.Name == "train").Items;
        Assert.All(new[] { 0, 1 }, label => Assert.Equal(50, train.Count(i => i.Label == label)));
        Assert.Subset(full.Splits.Single(s => s.Name == "train").Items.Select(i => i.RelativePath).ToHashSet(), train.Select(i => i.RelativePath).ToHashSet());
        foreach (var name in new[] { "validation", "test" })
        {
            Assert.Equal(full.Splits.Single(s => s.Name == name).Items, sampled.Splits.Single(s => s.Name == name).Items);
        }

        Assert.Contains("sample train=50 per class", sampled.Selection);
    }

    [Theory]
    [InlineData("train=0.8,validation=0.0005", "rounds to none")]
    [InlineData("train=900,test=10", "needs 910")]
    public void ASplitThatCannotBeFilledIsRefusedNamingIt(string rule, string expected)
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<DataLayoutException>(() => ImageFolder.Scan(FlatCopy(tmp.Sub("flat")), new ImageSelection(SplitRule.Parse(rule, "split"), null, 42)));
        Assert.Contains(expected, e.Message);
        Assert.Equal(ExitCode.BadDataLayout, Reported.Of(e).Code);
    }

    [Theory]
    [InlineData("train=0.8,validation=0.3")]      // more than everything
    [InlineData("train=0.8,validation=100")]      // fractions and counts mixed
    [InlineData("training=0.8")]
    [InlineData("train=-1")]
    public void AMalformedRuleIsRefused(string rule)
    {
        var e = Assert.Throws<InvalidSettingException>(() => SplitRule.Parse(rule, "split"));
        Assert.Equal("split", e.Setting);
    }

    /// <summary>Shards assign by the same hash: two shards merged hold exactly the single run's rows, split by split.</summary>
    [Fact]
    public void ShardsAndASingleRunAssignTheSameImages()
    {
        using var tmp = new TempDir();
        string flat = FlatCopy(tmp.Sub("flat"), perClassLimit: 40);
        string tiny = tmp.Sub("tiny.onnx");
        Assert.Equal(0, CliProcess.Run("models", "synth", "tiny", "--out", tiny).ExitCode);
        string[] common = ["--data", flat, "--split", "train=0.6,validation=0.2,test=0.2", "--backbone", tiny, "--preprocess", "unit", "--device", "cpu", "--quiet"];
        var single = CliProcess.Run(["extract", "--out", tmp.Sub("single"), .. common]);
        Assert.True(single.ExitCode == 0, single.Stderr);
        foreach (var shard in new[] { "0/2", "1/2" })
        {
            var r = CliProcess.Run(["extract", "--out", tmp.Sub("sharded"), "--shard", shard, .. common]);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }

        Assert.Equal(0, CliProcess.Run("merge", tmp.Sub("sharded")).ExitCode);
        foreach (var split in new[] { "train", "validation", "test" })
        {
            var a = FeatureCache.ReadManifest(Path.Combine(tmp.Sub("single"), split));
            var b = FeatureCache.ReadManifest(Path.Combine(tmp.Sub("sharded"), split));
            Assert.Equal(a.Items.Select(i => i.Path).Order(), b.Items.Select(i => i.Path).Order());
            Assert.Equal(a.Selection, b.Selection);
        }

        // Another rule on the same cache is refused, like any other change of feature space; info shows the rule.
        var other = CliProcess.Run(["extract", "--out", tmp.Sub("single"), .. common[..2], "--split", "train=0.5,validation=0.25,test=0.25", .. common[4..]]);
        Assert.Equal((int)ExitCode.CacheMismatch, other.ExitCode);
        Assert.Contains("images 'split train=0.5", other.Stderr);
        var info = CliProcess.Run("info", tmp.Sub("single"));
        Assert.Contains("images: split train=0.6,validation=0.2,test=0.2; seed 42", info.Stdout);
    }

    [Fact]
    public void ARuleOnAFolderThatAlreadyHasSplitsIsRefused()
    {
        var e = Assert.Throws<DataLayoutException>(() => ImageFolder.Scan(TestPaths.CatsVsDogs, new ImageSelection(EightyTenTen, null, 42)));
        Assert.Contains("already has split folders", e.Message);
    }

    private static Dictionary<string, string> Assignment(ImageFolder folder) =>
        folder.Splits.SelectMany(s => s.Items.Select(i => (i.RelativePath, s.Name))).ToDictionary(x => x.RelativePath, x => x.Name);

    /// <summary>Every shared photo (train, validation and test) of each class into ROOT/cat and ROOT/dog: 800 each.</summary>
    private static string FlatCopy(string root, int exceptLast = 0, int perClassLimit = int.MaxValue)
    {
        foreach (var cls in new[] { "cat", "dog" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            var photos = Photos(cls).Take(perClassLimit).ToList();
            foreach (var photo in photos.Take(photos.Count - exceptLast))
            {
                File.Copy(photo, Path.Combine(root, cls, Path.GetFileName(photo)));
            }
        }

        return root;
    }

    private static void AddLastFive(string root)
    {
        foreach (var cls in new[] { "cat", "dog" })
        {
            foreach (var photo in Photos(cls).TakeLast(5))
            {
                File.Copy(photo, Path.Combine(root, cls, Path.GetFileName(photo)));
            }
        }
    }

    private static IEnumerable<string> Photos(string cls) =>
        new[] { "train", "validation", "test" }.SelectMany(s => Directory.EnumerateFiles(Path.Combine(TestPaths.CatsVsDogs, s, cls))).Order(StringComparer.Ordinal);
}
