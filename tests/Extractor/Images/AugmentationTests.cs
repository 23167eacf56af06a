using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Images;

public sealed class AugmentationTests
{
    private static string SplitData(TempDir tmp)
    {
        Datasets.SmallCatsDogs(tmp.Sub("data", "train"), perClass: 2);
        Datasets.SmallCatsDogs(tmp.Sub("data", "test"), perClass: 2, first: 4001, split: "test");
        return tmp.Sub("data");
    }

    private static ExtractionOptions Options(string data, string output, int views, int seed, bool mirrors = false) => new()
    {
        Data = data, Out = output, Batch = 4, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu },
        Augment = new Augmentation { Views = views, Seed = seed }, MirrorViews = mirrors,
    };

    [Fact]
    public void AugmentedViewsAreCachedForTheTrainingSplitOnlyAndAreDeterministic()
    {
        using var tmp = new TempDir();
        string data = SplitData(tmp);
        var report = FeatureExtractor.Run(Options(data, tmp.Sub("a"), views: 2, seed: 3));
        Assert.Equal(4 * 3 + 4, report.Computed);   // (clean + 2 views) per training image, clean only for test

        using var train = FeatureCache.Open(tmp.Sub("a"), "train");
        using var test = FeatureCache.Open(tmp.Sub("a"), "test");
        Assert.Equal(12, train.Count);
        Assert.Equal(4, test.Count);
        Assert.All(test.Manifest.Items, i => Assert.Null(i.Kind));
        Assert.Equal(2, train.Manifest.Augmentation!.Views);
        var first = train.Manifest.Items.Take(3).ToList();
        Assert.Equal([(null, 0), (RowKind.Augmented, 1), (RowKind.Augmented, 2)], first.Select(i => (i.Kind, i.View)));
        Assert.Single(first.Select(i => i.Path).Distinct());

        FeatureExtractor.Run(Options(data, tmp.Sub("b"), views: 2, seed: 3));
        Assert.True(File.ReadAllBytes(tmp.Sub("a", "train", "features.npy")).AsSpan().SequenceEqual(File.ReadAllBytes(tmp.Sub("b", "train", "features.npy"))),
            "same seed, same views, same bytes");

        FeatureExtractor.Run(Options(data, tmp.Sub("c"), views: 2, seed: 4));
        using var other = FeatureCache.Open(tmp.Sub("c"), "train");
        var (a, b) = (new float[train.FeatureLength], new float[train.FeatureLength]);
        train.ReadRow(0, a);
        other.ReadRow(0, b);
        Assert.True(a.AsSpan().SequenceEqual(b), "clean rows do not depend on the augmentation seed");
        train.ReadRow(1, a);
        other.ReadRow(1, b);
        Assert.False(a.AsSpan().SequenceEqual(b), "another seed draws other views");

        var rerun = FeatureExtractor.Run(Options(data, tmp.Sub("a"), views: 2, seed: 3));
        Assert.Equal(0, rerun.Computed);
        var changed = Assert.ThrowsAny<PipelineException>(() => FeatureExtractor.Run(Options(data, tmp.Sub("a"), views: 3, seed: 3)));
        Assert.Equal(ExitCode.CacheMismatch, Reported.Of(changed).Code);
        Assert.Contains("views", changed.Message);
    }

    [Fact]
    public void MirrorViewIsTheExactHorizontalFlipOfTheCleanImage()
    {
        var pre = new Preprocessor(BackbonePreset.ResNet18.Preprocessing);
        var image = BadImages.DecodeFull(TestPaths.Photo("train", "dog", 9));
        var clean = new float[pre.SlotLength];
        var mirror = new float[pre.SlotLength];
        var scratch = new PreprocessScratch();
        pre.Run(image, clean, scratch);
        // Compare before normalisation would need the planes; the mean image is not symmetric, so compare raw pixels:
        var unit = new Preprocessor(BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nchw));
        unit.Run(image, clean, scratch);
        unit.Run(image, mirror, scratch, ViewTransform.Mirror(224));
        double worst = 0;
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 224; y++)
            {
                for (int x = 0; x < 224; x++)
                {
                    worst = Math.Max(worst, Math.Abs(clean[(c * 224 + y) * 224 + x] - mirror[(c * 224 + y) * 224 + 223 - x]));
                }
            }
        }

        Assert.True(worst < 1e-6, $"largest difference mirror vs flipped clean: {worst}");
    }

    [Fact]
    public void RandomViewChangesTheImageButKeepsItsStatistics()
    {
        var unit = new Preprocessor(BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nchw));
        var image = BadImages.DecodeFull(TestPaths.Photo("train", "cat", 9));
        var clean = new float[unit.SlotLength];
        var view = new float[unit.SlotLength];
        var scratch = new PreprocessScratch();
        unit.Run(image, clean, scratch);
        var transform = new Augmentation { Views = 1, Seed = 1 }.For("cat/cat.9.jpg", 1, 224, 224);
        unit.Run(image, view, scratch, transform);
        double meanDiff = clean.Zip(view, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanDiff > 0.01, $"view too close to the clean image ({meanDiff})");
        Assert.InRange(view.Average(), clean.Average() - 0.1, clean.Average() + 0.1);
        Assert.Equal(transform, new Augmentation { Views = 1, Seed = 1 }.For("cat/cat.9.jpg", 1, 224, 224));
    }

    [Fact]
    public void TrainingDrawsOneViewPerImagePerEpochOrAllViews()
    {
        int[][] views = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]];
        var epoch1 = HeadTrainer.EpochRows(views, new HeadOptions { Seed = 1 }, 1);
        Assert.Equal(4, epoch1.Length);
        Assert.Equal(4, epoch1.Select(r => r / 3).Distinct().Count());
        Assert.Equal(epoch1, HeadTrainer.EpochRows(views, new HeadOptions { Seed = 1 }, 1));
        var many = Enumerable.Range(1, 30).SelectMany(e => HeadTrainer.EpochRows(views, new HeadOptions { Seed = 1 }, e)).ToHashSet();
        Assert.Equal(12, many.Count);   // every view gets drawn over epochs
        var all = HeadTrainer.EpochRows(views, new HeadOptions { Seed = 1, AllViews = true }, 1);
        Assert.Equal(Enumerable.Range(0, 12), all.Order());
    }

    [Fact]
    public void TestTimeFlipsAverageTheCachedMirrorAndPredictAgrees()
    {
        using var tmp = new TempDir();
        string data = SplitData(tmp);
        FeatureExtractor.Run(Options(data, tmp.Sub("cache"), views: 1, seed: 0, mirrors: true));
        using var train = FeatureCache.Open(tmp.Sub("cache"), "train");
        using var test = FeatureCache.Open(tmp.Sub("cache"), "test");
        Assert.Equal(8, test.Count);
        Assert.True(test.Manifest.Mirrors);
        using var head = HeadTrainer.Train(train, null, new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu });
        Assert.Equal(2, head.Manifest.ViewsCached);
        Assert.Equal(1, head.Manifest.ViewsPerEpoch);

        var plain = Evaluation.Run(head, test);
        var tta = Evaluation.Run(head, test, ttaFlip: true);
        Assert.Equal(4, plain.Images);
        Assert.Equal(4, tta.Images);
        Assert.NotEqual(plain.Loss, tta.Loss);

        var files = test.Manifest.Items.Where(i => i.Kind is null).Select(i => Path.Combine(data, "test", i.Path)).ToList();
        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, device: DeviceRequest.Cpu));
        var (probs, _) = predictor.Probabilities(files, ttaFlip: true);
        double loss = -files.Select((_, i) => Math.Log(probs[i * 2 + test.Labels[test.Manifest.Items.Select((it, r) => (it, r)).First(x => x.it.Kind is null && Path.Combine(data, "test", x.it.Path) == files[i]).r]])).Average();
        Assert.Equal(tta.Loss, loss, 4);

        using var noMirrors = FeatureCache.Open(tmp.Sub("cache"), "train");
        var e = Assert.ThrowsAny<PipelineException>(() => Evaluation.Run(head, noMirrors, ttaFlip: true));
        Assert.Contains("test-time flips", Reported.Of(e).Hint);
    }
}
