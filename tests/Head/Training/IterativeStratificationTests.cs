using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Training;

/// <summary>Multi-label folds by iterative stratification (Sechidis et al. 2011), on label sets of the shared photos.</summary>
public sealed class IterativeStratificationTests
{
    /// <summary>
    /// The 1,000 shared training photos as cat/dog from their folder, "big" above the median JPEG size, and a rare
    /// "tiny" on the K smallest JPEGs: for every seed each of the K folds gets exactly one "tiny" photo, and every
    /// label's count per fold is within one of its share (n_label / K); the folds hold 200 ± 1 photos each.
    /// </summary>
    [Theory]
    [InlineData(5, 42)]
    [InlineData(5, 1)]
    [InlineData(3, 2)]
    [InlineData(10, 3)]
    public void EveryFoldGetsTheRareLabelAndItsShareOfEachLabel(int folds, int seed)
    {
        var (sets, classes) = SharedPhotoLabels(folds);

        var foldOf = IterativeStratification.Folds(sets, classes, folds, seed);

        Assert.All(foldOf, f => Assert.InRange(f, 0, folds - 1));
        for (int label = 0; label < classes; label++)
        {
            int total = sets.Count(s => s.Contains(label));
            var perFold = Enumerable.Range(0, folds).Select(k => sets.Where((s, i) => foldOf[i] == k && s.Contains(label)).Count()).ToArray();
            Assert.True(perFold.All(c => Math.Abs(c - ((double)total / folds)) <= 1), $"label {label}: {string.Join(", ", perFold)} of {total} over {folds} folds");
        }

        int tiny = classes - 1;
        Assert.All(Enumerable.Range(0, folds), k => Assert.Single(sets.Where((s, i) => foldOf[i] == k && s.Contains(tiny))));
        var sizes = Enumerable.Range(0, folds).Select(k => foldOf.Count(f => f == k)).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1, $"fold sizes {string.Join(", ", sizes)}");
    }

    /// <summary>The same seed gives the same folds; images without any label are still dealt (to the folds that lack images).</summary>
    [Fact]
    public void FoldsAreSeededAndUnlabelledImagesAreDealt()
    {
        var (sets, classes) = SharedPhotoLabels(5);
        var withEmpty = sets.Select((s, i) => i % 10 == 0 ? [] : s).ToArray();

        var a = IterativeStratification.Folds(withEmpty, classes, 5, 7);
        var b = IterativeStratification.Folds(withEmpty, classes, 5, 7);

        Assert.Equal(a, b);
        Assert.All(a, f => Assert.InRange(f, 0, 4));
        var sizes = Enumerable.Range(0, 5).Select(k => a.Count(f => f == k)).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1, $"fold sizes {string.Join(", ", sizes)}");
    }

    /// <summary>Label sets (0 cat, 1 dog, 2 big, 3 tiny) of the shared training photos; "tiny" on the <paramref name="rare"/> smallest files.</summary>
    private static (int[][] Sets, int Classes) SharedPhotoLabels(int rare)
    {
        var files = new[] { "cat", "dog" }.SelectMany((c, label) => Directory.GetFiles(Path.Combine(TestPaths.CatsVsDogs, "train", c)).Order(StringComparer.Ordinal)
            .Select(f => (Label: label, Size: new FileInfo(f).Length))).ToArray();
        long median = files.Select(f => f.Size).Order().ElementAt(files.Length / 2);
        var smallest = files.Select((f, i) => (f.Size, i)).Order().Take(rare).Select(x => x.i).ToHashSet();
        var sets = files.Select((f, i) => new[] { f.Label }.Concat(f.Size > median ? [2] : []).Concat(smallest.Contains(i) ? [3] : []).ToArray()).ToArray();
        return (sets, 4);
    }
}
