using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

/// <summary>
/// Datasets as users have them: trees of symbolic links to photos (a split made without copying, DVC and
/// git-annex checkouts). A link to a file is read as its target; a broken link and a loop of links are
/// skipped with their reason.
/// </summary>
[Collection(ResNetCollection.Name)]
public sealed class LinkedPhotosTests(ResNetCache fixture)
{
    /// <summary>A link farm of all 1,600 shared photos, laid out as the real tree, caches the same rows, bit for bit.</summary>
    [Fact]
    public void LinkFarmCachesTheSameRowsAsTheRealFiles()
    {
        using var tmp = new TempDir();
        foreach (var file in Directory.EnumerateFiles(TestPaths.CatsVsDogs, "*.jpg", SearchOption.AllDirectories))
        {
            string link = tmp.Sub("links", Path.GetRelativePath(TestPaths.CatsVsDogs, file));
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, file);
        }

        var report = FeatureExtractor.Run(new ExtractionOptions { Data = tmp.Sub("links"), Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        Assert.Equal(0, report.SkippedCount);
        foreach (var split in new[] { SplitName.Train, SplitName.Validation, SplitName.Test })
        {
            using var real = FeatureCache.Open(fixture.Root, split);
            using var linked = FeatureCache.Open(tmp.Sub("cache"), split);
            Assert.Equal(real.Manifest.Items.Select(i => (i.Path, i.Sha256)), linked.Manifest.Items.Select(i => (i.Path, i.Sha256)));
            var (a, b) = (new float[real.FeatureLength], new float[linked.FeatureLength]);
            for (int r = 0; r < real.Count; r++)
            {
                real.ReadRow(r, a);
                linked.ReadRow(r, b);
                Assert.True(a.AsSpan().SequenceEqual(b), $"{split} row {r} ({real.Manifest.Items[r].Path}) differs");
            }
        }
    }

    /// <summary>
    /// A flat tree of links to the 1,600 photos, split 80/10/10 by rule: all 1,600 cached, none in two splits; a
    /// broken link and a link loop beside them are skipped as such.
    /// </summary>
    [Fact]
    public void FlatLinkFarmSplitByRuleCachesEveryPhotoOnce()
    {
        using var tmp = new TempDir();
        foreach (var file in Directory.EnumerateFiles(TestPaths.CatsVsDogs, "*.jpg", SearchOption.AllDirectories))
        {
            string cls = Path.GetFileName(Path.GetDirectoryName(file))!;
            Directory.CreateDirectory(tmp.Sub("flat", cls));
            File.CreateSymbolicLink(tmp.Sub("flat", cls, Path.GetFileName(file)), file);
        }

        File.CreateSymbolicLink(tmp.Sub("flat", "cat", "gone.jpg"), tmp.Sub("nowhere.jpg"));
        File.CreateSymbolicLink(tmp.Sub("flat", "dog", "loop.jpg"), tmp.Sub("flat", "dog", "loop.jpg"));
        var report = FeatureExtractor.Run(new ExtractionOptions
        {
            Data = tmp.Sub("flat"), Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu },
            Selection = new ImageSelection(SplitRule.Parse("train=0.8,validation=0.1,test=0.1", "split"), null, 42),
        });

        var paths = new List<string>();
        foreach (var split in new[] { SplitName.Train, SplitName.Validation, SplitName.Test })
        {
            using var cache = FeatureCache.Open(tmp.Sub("cache"), split);
            paths.AddRange(cache.Manifest.Items.Select(i => i.Path));
        }

        Assert.Equal(1600, paths.Count);
        Assert.Equal(1600, paths.Distinct(StringComparer.Ordinal).Count());
        var skipped = report.Splits.SelectMany(s => s.Skipped).ToDictionary(s => Path.GetFileName(s.Path), s => s.Reason);
        Assert.Equal(2, skipped.Count);
        Assert.Contains("broken link", skipped["gone.jpg"]);
        Assert.Contains("loop", skipped["loop.jpg"]);
    }
}
