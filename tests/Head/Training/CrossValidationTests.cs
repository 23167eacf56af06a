using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Training;

[Collection(ResNetCollection.Name)]
public sealed class CrossValidationTests(ResNetCache fixture)
{
    /// <summary>Every training and validation image is held out exactly once, classes balanced across folds to one image.</summary>
    [Fact]
    public void FoldsPartitionTheImagesStratifiedByClass()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        var source = new FeatureSource(train, val);
        var images = HeadTrainer.Images(source);
        Assert.Equal(1200, images.Length);
        Assert.Equal(1200, images.Select(v => source.Items[v[0]].Path).Distinct().Count());
        var fold = HeadTrainer.Folds(images, source, 5, seed: 42);
        foreach (int label in new[] { 0, 1 })
        {
            var counts = Enumerable.Range(0, 5).Select(k => images.Where((v, i) => fold[i] == k && source.Labels[v[0]] == label).Count()).ToList();
            Assert.True(counts.Max() - counts.Min() <= 1, $"class {label} per fold: {string.Join(", ", counts)}");
        }

        Assert.Equal(fold, HeadTrainer.Folds(images, source, 5, seed: 42));
        Assert.NotEqual(fold, HeadTrainer.Folds(images, source, 5, seed: 43));
    }

    /// <summary>
    /// Cross-validation is repeatable, picks an epoch inside the budget, and scores like a good head; the
    /// refit covers every training and validation image for exactly the chosen epochs.
    /// </summary>
    [Fact]
    public void CrossValidatedHeadIsRefittedOnEveryImageForTheChosenEpochs()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        var options = new HeadOptions { Epochs = 8, Device = DeviceRequest.Cpu };
        var cv = HeadTrainer.CrossValidate(train, val, options, folds: 4);
        Assert.Equal(cv with { Seconds = 0 }, HeadTrainer.CrossValidate(train, val, options, folds: 4) with { Seconds = 0 });
        Assert.InRange(cv.BestEpoch, 1, 8);
        Assert.InRange(cv.Accuracy, 0.95, 1.0);
        Assert.True(cv.AccuracyStdErr is > 0 and < 0.02, $"standard error {cv.AccuracyStdErr}");

        using var head = HeadTrainer.FitAll(train, val, options, cv.BestEpoch, cv);
        Assert.Equal(1200, head.Manifest.TrainImages);
        Assert.Equal(cv.BestEpoch, head.Manifest.History.Count);
        Assert.Equal(cv.BestEpoch, head.Manifest.Options.Epochs);
        Assert.Equal(cv, head.Manifest.CrossValidation);

        using var test = FeatureCache.Open(fixture.Root, "test");
        var e = Evaluation.Run(head, test, false);
        Assert.True(e.Accuracy >= 0.97, $"test accuracy {e.Accuracy:P2}");
    }

    [Fact]
    public void StandardErrorIsTheSampleSpreadOverRootK()
    {
        var (mean, se) = HeadTrainer.MeanAndStdErr([0.97, 0.98, 0.99, 1.00]);
        Assert.Equal(0.985, mean, 12);
        Assert.Equal(Math.Sqrt(0.0005 / 3 / 4), se, 12);   // sample variance (n − 1), then / n
    }

    /// <summary>Two settings are a tie when their held-out losses differ by at most two combined standard errors.</summary>
    [Theory]
    [InlineData(0.0338, 0.0088, 0.0356, 0.0078, true)]    // the default against the walkthrough's head: 0.0018 apart, 2 s.e. = 0.0235
    [InlineData(0.0338, 0.0088, 0.0627, 0.0051, false)]   // against wd 0.1: 0.0289 apart, 2 s.e. = 0.0203
    public void TiesAreWithinTwoCombinedStandardErrors(double bestLoss, double bestSe, double loss, double se, bool tie)
    {
        var best = new SettingScore { Options = new HeadOptions(), Accuracy = 0.98, AccuracyStdErr = 0.005, Loss = bestLoss, LossStdErr = bestSe, BestEpoch = 20, Seconds = 1 };
        var other = best with { Loss = loss, LossStdErr = se };
        Assert.Equal(tie, other.TiesWith(best));
    }
}
