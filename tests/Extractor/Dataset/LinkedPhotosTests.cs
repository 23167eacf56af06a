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
    /// <summary>
    /// A link farm of 80 shared photos (every 20th of each folder), laid out as the real tree: the same paths, hashes and
    /// labels, and each row bit for bit the row the fixture computed from the real file (a row does not depend on the
    /// photos batched with it, as SlurmTests shows, so the fixture's rows of the whole tree are the reference).
    /// </summary>
    [Fact]
    public void LinkFarmCachesTheSameRowsAsTheRealFiles()
    {
        using var tmp = new TempDir();
        Datasets.LinkTree(tmp.Sub("links"), Datasets.EveryNthSharedPhoto(20));

        var report = FeatureExtractor.Run(new ExtractionOptions { Data = tmp.Sub("links"), Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        Assert.Equal(0, report.SkippedCount);
        foreach (var split in new[] { SplitName.Train, SplitName.Validation, SplitName.Test })
        {
            using var real = FeatureCache.Open(fixture.Root, split);
            using var linked = FeatureCache.Open(tmp.Sub("cache"), split);
            var rowOf = Enumerable.Range(0, real.Count).ToDictionary(r => real.Manifest.Items[r].Path, StringComparer.Ordinal);
            var expected = Directory.EnumerateFiles(tmp.Sub("links", split), "*.jpg", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(tmp.Sub("links", split), f)).Order(StringComparer.Ordinal);
            Assert.Equal(expected, linked.Manifest.Items.Select(i => i.Path).Order(StringComparer.Ordinal));
            var (a, b) = (new float[real.FeatureLength], new float[linked.FeatureLength]);
            for (int r = 0; r < linked.Count; r++)
            {
                var item = linked.Manifest.Items[r];
                int row = rowOf[item.Path];
                Assert.Equal(real.Manifest.Items[row].Sha256, item.Sha256);
                Assert.Equal(real.Labels[row], linked.Labels[r]);
                real.ReadRow(row, a);
                linked.ReadRow(r, b);
                Assert.True(a.AsSpan().SequenceEqual(b), $"{split} row {r} ({item.Path}) differs");
            }
        }
    }

    /// <summary>
    /// A flat tree of links to 80 shared photos (every 20th of each folder, 40 of each class), split 80/10/10 by rule: all 80 cached, none in two
    /// splits; a broken link and a link loop beside them are skipped as such.
    /// </summary>
    [Fact]
    public void FlatLinkFarmSplitByRuleCachesEveryPhotoOnce()
    {
        using var tmp = new TempDir();
        var photos = Datasets.EveryNthSharedPhoto(20);
        foreach (var file in photos)
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
            Assert.NotEqual(0, cache.Count);
            paths.AddRange(cache.Manifest.Items.Select(i => i.Path));
        }

        Assert.Equal(photos.Count, paths.Count);
        Assert.Equal(photos.Count, paths.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(photos.Select(f => $"{Path.GetFileName(Path.GetDirectoryName(f))}/{Path.GetFileName(f)}").Order(StringComparer.Ordinal), paths.Order(StringComparer.Ordinal));
        var skipped = report.Splits.SelectMany(s => s.Skipped).ToDictionary(s => Path.GetFileName(s.Path), s => s.Reason);
        Assert.Equal(2, skipped.Count);
        Assert.Contains("broken link", skipped["gone.jpg"]);
        Assert.Contains("loop", skipped["loop.jpg"]);
    }
}
