using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Training;

/// <summary>
/// A handful of photos trains with the default options: K folds only when every class has K images, fewer
/// folds down to two (said), and below that a fixed number of epochs on every image with no held-out
/// selection (said). Real ResNet18 features of the shared photos.
/// </summary>
public sealed class FewPhotosTests
{
    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 2, 2)]
    [InlineData(3, 3, 3)]
    [InlineData(5, 5, 5)]
    [InlineData(1, 50, 0)]
    public void DefaultTrainingGivesAHeadWithTheFoldsTheSmallestClassAllows(int cats, int dogs, int expectedFolds)
    {
        using var tmp = new TempDir();
        foreach (var (cls, count) in new[] { ("cat", cats), ("dog", dogs) })
        {
            Directory.CreateDirectory(tmp.Sub("data", cls));
            for (int i = 1; i <= count; i++)
            {
                File.Copy(TestPaths.Photo("train", cls, i), tmp.Sub("data", cls, $"{cls}.{i}.jpg"));
            }
        }

        var log = new List<string>();
        var pipeline = new TransferLearning { Backbone = new BackboneSpec { Device = DeviceRequest.Cpu }, HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu }, Log = log.Add };
        pipeline.Extract(tmp.Sub("data"), tmp.Sub("cache"));
        using var classifier = pipeline.Train(tmp.Sub("cache"));
        Assert.Equal(cats + dogs, classifier.TrainImages);
        Assert.True(classifier.History.All(h => double.IsFinite(h.TrainLoss)));
        if (expectedFolds == 0)
        {
            Assert.Null(classifier.CrossValidation);
            Assert.Equal(new HeadOptions().Epochs, classifier.History.Count);
            Assert.Contains(log, l => l.Contains("class 'cat' has 1 image") && l.Contains("no held-out selection"));
        }
        else
        {
            Assert.Equal(expectedFolds, classifier.CrossValidation!.Folds);
            Assert.Equal(expectedFolds < HeadSelection.DefaultFolds, log.Any(l => l.Contains($"using {expectedFolds} folds")));
        }
    }

    /// <summary>The command line says the same and exits 0 with two photos per class (it used to exit 10, "diverged").</summary>
    [Fact]
    public void TrainOnTwoPhotosPerClassExitsZeroAndSaysWhy()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 2);
        var extract = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--device", "cpu", "--quiet");
        Assert.True(extract.ExitCode == 0, extract.Stderr);
        var train = CliProcess.Run("train", "--cache", tmp.Sub("cache"), "--out", tmp.Sub("head"), "--head-device", "cpu", "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("5-fold cross-validation needs 5 images of every class; 'cat' has 2: using 2 folds", train.Stderr);
        Assert.True(File.Exists(tmp.Sub("head", TrainedHead.ManifestFile)));
    }

    /// <summary>train --exclude FILE leaves the listed images out (either form of path) and the head records them.</summary>
    [Fact]
    public void ExcludedImagesAreLeftOutAndRecorded()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);
        Assert.Equal(0, CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--device", "cpu", "--quiet").ExitCode);
        File.WriteAllLines(tmp.Sub("suspects.txt"), ["# from pipeline audit", "cat/cat.2.jpg", "/dog/dog.3.jpg", ""]);
        var train = CliProcess.Run("train", "--cache", tmp.Sub("cache"), "--out", tmp.Sub("head"), "--head-device", "cpu", "--exclude", tmp.Sub("suspects.txt"), "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var head = TrainedHead.Load(tmp.Sub("head"));
        Assert.Equal(10, head.Manifest.TrainImages);   // 12 less cat/cat.2.jpg and, as SPLIT/PATH of the flat cache's empty split, dog/dog.3.jpg
        Assert.Equal(["cat/cat.2.jpg", "/dog/dog.3.jpg"], head.Manifest.Options.Exclude);

        var missing = CliProcess.Run("train", "--cache", tmp.Sub("cache"), "--out", tmp.Sub("head2"), "--exclude", tmp.Sub("nope.txt"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--exclude", missing.Stderr);
    }
}
