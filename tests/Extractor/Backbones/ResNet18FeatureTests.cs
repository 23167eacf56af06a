using System.Globalization;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Backbones;

[Collection(ResNetCollection.Name)]
public sealed class ResNet18FeatureTests(ResNetCache fixture)
{
    [Fact]
    public void ExtractsEverySplitOfTheSharedPhotosWithOneClassList()
    {
        Assert.Equal(["train", "validation", "test"], fixture.Report.Splits.Select(s => s.Split));
        Assert.Equal(1600, fixture.Report.Computed);
        Assert.Equal(0, fixture.Report.SkippedCount);
        var root = FeatureCache.TryReadSplitRoot(fixture.Root);
        Assert.NotNull(root);
        Assert.Equal(["cat", "dog"], root.Classes);
        using var train = FeatureCache.Open(fixture.Root, "train");
        Assert.Equal(1000, train.Count);
        Assert.Equal(512, train.FeatureLength);
        Assert.Equal([512, 1, 1], train.Manifest.Features.Shape);
        Assert.Equal(500, train.Labels.Count(l => l == 1));
    }

    /// <summary>
    /// Proves the preprocessing contract (BGR, 0–255, minus the package's mean image): with it the
    /// features are linearly separable enough that class means alone classify the test split.
    /// </summary>
    [Fact]
    public void NearestClassMeanOnTrainFeaturesScoresAtLeast97PercentOnTest()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var test = FeatureCache.Open(fixture.Root, "test");
        int f = train.FeatureLength;
        var means = new double[2, f];
        var counts = new int[2];
        var row = new float[f];
        for (int r = 0; r < train.Count; r++)
        {
            train.ReadRow(r, row);
            int c = train.Labels[r];
            counts[c]++;
            for (int i = 0; i < f; i++)
            {
                means[c, i] += row[i];
            }
        }

        int correct = 0;
        for (int r = 0; r < test.Count; r++)
        {
            test.ReadRow(r, row);
            var d = new double[2];
            for (int c = 0; c < 2; c++)
            {
                for (int i = 0; i < f; i++)
                {
                    double diff = row[i] - means[c, i] / counts[c];
                    d[c] += diff * diff;
                }
            }

            correct += (d[0] <= d[1] ? 0 : 1) == test.Labels[r] ? 1 : 0;
        }

        double accuracy = (double)correct / test.Count;
        Assert.True(accuracy >= 0.97, $"nearest-class-mean accuracy {accuracy:P2} < 97%: preprocessing is off");
    }

    [Fact]
    public void NumpyMemoryMapsTheCacheAndReadsTheSameRows()
    {
        string dir = fixture.Split("train");
        using var cache = FeatureCache.Open(dir);
        var row = new float[cache.FeatureLength];
        var expected = new List<string>();
        foreach (int r in new[] { 0, 1, 499, 999 })
        {
            cache.ReadRow(r, row);
            expected.Add(string.Create(CultureInfo.InvariantCulture, $"{r} {row.Sum(x => (double)x):R} {row.Max():R} {cache.Labels[r]}"));
        }

        var result = Python.Run("""
            import sys, numpy as np
            d = sys.argv[1]
            x = np.load(d + "/features.npy", mmap_mode="r")
            y = np.load(d + "/labels.npy", mmap_mode="r")
            assert isinstance(x, np.memmap), type(x)
            print(x.shape[0], x.shape[1], x.dtype, y.dtype, y.shape[0])
            for r in (0, 1, 499, 999):
                print(r, repr(float(np.asarray(x[r], dtype=np.float64).sum())), repr(float(x[r].max())), int(y[r]))
            """, dir);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1000 512 float32 int32 1000", lines[0]);
        for (int i = 0; i < expected.Count; i++)
        {
            var ours = expected[i].Split(' ');
            var theirs = lines[i + 1].Split(' ');
            Assert.Equal(ours[0], theirs[0]);
            double a = double.Parse(ours[1], CultureInfo.InvariantCulture), b = double.Parse(theirs[1], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(a)), $"row {ours[0]} sum: ours {a}, numpy {b}");
            Assert.Equal(float.Parse(ours[2], CultureInfo.InvariantCulture), float.Parse(theirs[2], CultureInfo.InvariantCulture));
            Assert.Equal(ours[3], theirs[3]);
        }
    }

    [Fact]
    public void ManifestRecordsBackbonePreprocessingAndEveryImage()
    {
        var m = FeatureCache.ReadManifest(fixture.Split("test"));
        Assert.Equal("resnet18", m.Backbone.Name);
        Assert.Equal(64, m.Backbone.Sha256.Length);
        Assert.False(m.Backbone.Synthetic);
        Assert.Equal(ColorOrder.Bgr, m.Preprocessing.ColorOrder);
        Assert.NotNull(m.Preprocessing.MeanImageSha256);
        Assert.Equal(400, m.Items.Count);
        var first = m.Items[0];
        Assert.Equal("cat/cat.4001.jpg", first.Path);
        Assert.Equal(new FileInfo(TestPaths.Photo("test", "cat", 4001)).Length, first.Bytes);
        Assert.Single(m.Parts);
    }

    [Fact]
    public void RerunOnAFinishedCacheComputesNothing()
    {
        var report = FeatureExtractor.Run(new ExtractionOptions { Data = TestPaths.CatsVsDogs, Out = fixture.Root, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        Assert.Equal(0, report.Computed);
        Assert.Equal(1600, report.Splits.Sum(s => s.Reused));
    }
}
