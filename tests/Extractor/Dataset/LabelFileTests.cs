using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

/// <summary>Labels as Kaggle and JSON-lines datasets have them: a file beside a flat folder of images.</summary>
[Collection(ResNetCollection.Name)]
public sealed class LabelFileTests(ResNetCache fixture)
{
    /// <summary>
    /// A flat folder of id-named photos (Kaggle's layout) with an <c>id,label</c> CSV: the rows cached are the
    /// class-folder extraction's, bit for bit; a missing id, a repeated row and an unlabelled row each get one
    /// line and are left out, and the rest proceed.
    /// </summary>
    [Fact]
    public void KaggleCsvExtractsTheSameRowsAsClassFoldersAndReportsBadRows()
    {
        using var tmp = new TempDir();
        var photos = new[] { "cat", "dog" }.SelectMany(c => Directory.GetFiles(Path.Combine(TestPaths.CatsVsDogs, "test", c)).Order(StringComparer.Ordinal).Take(5)).ToList();
        var lines = new List<string> { "id,label" };
        Directory.CreateDirectory(tmp.Sub("kaggle"));
        for (int i = 0; i < photos.Count; i++)
        {
            File.CreateSymbolicLink(tmp.Sub("kaggle", $"{i + 1}.jpg"), photos[i]);
            lines.Add($"{i + 1},{Path.GetFileName(Path.GetDirectoryName(photos[i]))}");
        }

        lines.AddRange(["999,cat", "1,dog", "2,"]);
        File.WriteAllLines(tmp.Sub("labels.csv"), lines);

        var progress = new Lines();
        var report = FeatureExtractor.Run(new ExtractionOptions
        {
            Data = tmp.Sub("kaggle"), Out = tmp.Sub("cache"), Labels = tmp.Sub("labels.csv"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu },
        }, progress);
        Assert.Equal(10, report.Computed);
        Assert.Contains(progress.Info, l => l.Contains("labels.csv:12", StringComparison.Ordinal) && l.Contains("'999'", StringComparison.Ordinal));
        Assert.Contains(progress.Info, l => l.Contains("labels.csv:13", StringComparison.Ordinal) && l.Contains("listed again (first on line 2)", StringComparison.Ordinal));
        Assert.Contains(progress.Info, l => l.Contains("labels.csv:14", StringComparison.Ordinal) && l.Contains("no label", StringComparison.Ordinal));

        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        using var reference = FeatureCache.Open(fixture.Root, "test");
        Assert.Equal(["cat", "dog"], cache.Classes);
        var referenceRow = reference.Manifest.Items.Select((item, row) => (item.Path, row)).ToDictionary(x => x.Path, x => x.row);
        var a = new float[cache.FeatureLength];
        var b = new float[cache.FeatureLength];
        for (int row = 0; row < cache.Count; row++)
        {
            int photo = int.Parse(Path.GetFileNameWithoutExtension(cache.Manifest.Items[row].Path), System.Globalization.CultureInfo.InvariantCulture) - 1;
            string original = Path.GetRelativePath(Path.Combine(TestPaths.CatsVsDogs, "test"), photos[photo]).Replace('\\', '/');
            Assert.Equal(photo < 5 ? 0 : 1, cache.Labels[row]);
            cache.ReadRow(row, a);
            reference.ReadRow(referenceRow[original], b);
            Assert.Equal(b, a);
        }
    }

    /// <summary>JSON lines with columns named by the caller; numbers as ids; a path outside the data folder is refused per row.</summary>
    [Fact]
    public void JsonLinesWithNamedColumns()
    {
        using var tmp = new TempDir();
        string data = Path.Combine(TestPaths.CatsVsDogs, "train");
        File.WriteAllLines(tmp.Sub("labels.jsonl"),
        [
            """{"img": "cat/cat.1.jpg", "species": "cat"}""",
            """{"img": "dog/dog.1.jpg", "species": "dog"}""",
            """{"img": "../test/cat/cat.1.jpg", "species": "cat"}""",
            "not json",
        ]);
        var labels = LabelFile.Read(tmp.Sub("labels.jsonl"), data, fileColumn: "img", labelColumn: "species");
        Assert.Equal(["cat", "dog"], labels.Classes);
        Assert.Equal([new ImageItem("cat/cat.1.jpg", 0), new ImageItem("dog/dog.1.jpg", 1)], labels.Items);
        Assert.Equal(2, labels.Problems.Count);
        Assert.Contains("is not under", labels.Problems[0], StringComparison.Ordinal);
        Assert.Contains("labels.jsonl:4", labels.Problems[1], StringComparison.Ordinal);
    }

    /// <summary>A missing file, a header without the column, or a single class is one typed error naming the file and the remedy.</summary>
    [Fact]
    public void UnusableLabelFilesAreRefusedWithTheRemedy()
    {
        using var tmp = new TempDir();
        string data = Path.Combine(TestPaths.CatsVsDogs, "train");
        Assert.Contains("no such label file", Assert.Throws<DataLayoutException>(() => LabelFile.Read(tmp.Sub("none.csv"), data)).Message, StringComparison.Ordinal);
        File.WriteAllLines(tmp.Sub("a.csv"), ["name,kind", "cat/cat.1.jpg,cat"]);
        var noColumn = Assert.Throws<DataLayoutException>(() => LabelFile.Read(tmp.Sub("a.csv"), data));
        Assert.Contains("name,kind", noColumn.Message, StringComparison.Ordinal);
        Assert.Contains("--file-column", noColumn.Remedy!, StringComparison.Ordinal);
        File.WriteAllLines(tmp.Sub("b.csv"), ["filename,label", "cat/cat.1.jpg,cat", "cat/cat.2.jpg,cat"]);
        Assert.Contains("names 1 class", Assert.Throws<DataLayoutException>(() => LabelFile.Read(tmp.Sub("b.csv"), data)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData("\"x, y\",\"say \"\"hi\"\"\",", new[] { "x, y", "say \"hi\"", "" })]
    public void CsvCellsFollowRfc4180Quoting(string line, string[] cells) => Assert.Equal(cells, LabelFile.SplitCsv(line));

    private sealed class Lines : IExtractionProgress
    {
        public List<string> Info { get; } = [];

        void IExtractionProgress.Info(string line) => Info.Add(line);

        public void Begin(string split, int total, int alreadyDone) { }

        public void Advance(int images, int skipped) { }

        public void End() { }
    }
}
