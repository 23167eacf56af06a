using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

/// <summary>Multi-label files with one 0/1 column per label (<c>file,cat,dog,big</c>), over the shared photos (issue 33).</summary>
public sealed class LabelColumnTests
{
    /// <summary>
    /// Twelve shared test photos under their own names with cat/dog/big columns: every good row becomes an item whose
    /// labels are its 1 columns (classes sorted); a row with '2', one with a blank cell and one short a cell are each
    /// left out with one line naming the line, the file, the value and the column, and the rest proceed.
    /// </summary>
    [Fact]
    public void NamedColumnsGiveEachImageItsOnesAndReportEachBadRow()
    {
        using var tmp = new TempDir();
        var (data, truth) = Photos(tmp, 12);
        var lines = new List<string> { "file,note,dog,cat,big" };
        lines.AddRange(truth.Select(t => $"{t.File},x,{Flag(t.Labels, "dog")},{Flag(t.Labels, "cat")},{Flag(t.Labels, "big")}"));
        lines.AddRange([$"{truth[0].File[..^4]}-copy.jpg,x,1,0,0", $"{truth[1].File},x,1,0,0"]);   // missing file; repeated row
        File.Copy(Path.Combine(data, truth[2].File), Path.Combine(data, "bad2.jpg"));
        File.Copy(Path.Combine(data, truth[3].File), Path.Combine(data, "blank.jpg"));
        File.Copy(Path.Combine(data, truth[4].File), Path.Combine(data, "short.jpg"));
        lines.AddRange(["bad2.jpg,x,2,0,0", "blank.jpg,x,1,,0", "short.jpg,x,1"]);
        File.WriteAllLines(tmp.Sub("labels.csv"), lines);

        var file = LabelFile.Read(tmp.Sub("labels.csv"), data, labelColumns: ["cat", "dog", "big"]);

        Assert.Equal(["big", "cat", "dog"], file.Classes);
        Assert.Equal(truth.Select(t => t.File), file.Items.Select(i => i.RelativePath));
        foreach (var (item, t) in file.Items.Zip(truth))
        {
            Assert.Equal(t.Labels.Order(StringComparer.Ordinal), item.Tags!.Select(c => file.Classes[c]));
        }

        Assert.Equal(5, file.Problems.Count);
        Assert.Contains(file.Problems, p => p.Contains("labels.csv:16: 'bad2.jpg' has '2' in column 'dog' (expected 0 or 1)", StringComparison.Ordinal));
        Assert.Contains(file.Problems, p => p.Contains("labels.csv:17: 'blank.jpg' has '' in column 'cat'", StringComparison.Ordinal));
        Assert.Contains(file.Problems, p => p.Contains("labels.csv:18: 'short.jpg' has no cell for column 'cat'", StringComparison.Ordinal));
        Assert.Contains(file.Problems, p => p.Contains("labels.csv:15", StringComparison.Ordinal) && p.Contains("listed again", StringComparison.Ordinal));
    }

    /// <summary>'*' takes every column but the file column; a row of zeros is an image with no label (kept: a negative for each).</summary>
    [Fact]
    public void StarTakesEveryColumnButTheFileAndKeepsAllZeroRows()
    {
        using var tmp = new TempDir();
        var (data, truth) = Photos(tmp, 4);
        var lines = new List<string> { "cat,image,dog" };
        lines.AddRange(truth.Select(t => $"{Flag(t.Labels, "cat")},{t.File},{Flag(t.Labels, "dog")}"));
        lines[1] = $"0,{truth[0].File},0";
        File.WriteAllLines(tmp.Sub("labels.csv"), lines);

        var file = LabelFile.Read(tmp.Sub("labels.csv"), data, fileColumn: "image", labelColumns: [LabelFile.AllColumns]);

        Assert.Equal(["cat", "dog"], file.Classes);
        Assert.Equal(4, file.Items.Count);
        Assert.Empty(file.Items[0].Tags!);
        Assert.Empty(file.Problems);
    }

    /// <summary>One name, a blank name, '*' among names, a JSON lines file, or columns with a separator or a label column: refused naming label-columns.</summary>
    [Theory]
    [InlineData("labels.csv", new[] { "cat" }, null, null)]
    [InlineData("labels.csv", new[] { "cat", " " }, null, null)]
    [InlineData("labels.csv", new[] { "cat", "*" }, null, null)]
    [InlineData("labels.jsonl", new[] { "cat", "dog" }, null, null)]
    [InlineData("labels.csv", new[] { "cat", "dog" }, "|", null)]
    [InlineData("labels.csv", new[] { "cat", "dog" }, null, "label")]
    public void BadColumnChoicesAreRefused(string name, string[] columns, string? separator, string? labelColumn)
    {
        using var tmp = new TempDir();
        File.WriteAllLines(tmp.Sub(name), ["file,cat,dog"]);
        var e = Assert.Throws<InvalidSettingException>(() => LabelFile.Read(tmp.Sub(name), tmp.Path, labelColumn: labelColumn, separator: separator, labelColumns: columns));
        Assert.Equal("label-columns", e.Setting);
    }

    /// <summary>A column named but absent from the header: the file, the header and the column in one message.</summary>
    [Fact]
    public void AMissingColumnNamesTheHeader()
    {
        using var tmp = new TempDir();
        var (data, truth) = Photos(tmp, 2);
        File.WriteAllLines(tmp.Sub("labels.csv"), ["file,cat,dog", $"{truth[0].File},1,0"]);
        var e = Assert.Throws<DataLayoutException>(() => LabelFile.Read(tmp.Sub("labels.csv"), data, labelColumns: ["cat", "indoor"]));
        Assert.Contains("no column 'indoor'", e.Message, StringComparison.Ordinal);
        Assert.Contains("file,cat,dog", e.Message, StringComparison.Ordinal);
    }

    private static string Flag(IReadOnlySet<string> labels, string label) => labels.Contains(label) ? "1" : "0";

    /// <summary>
    /// The first <paramref name="count"/>/2 cat and dog test photos linked into one flat folder, each with its
    /// labels: its folder's class, and "big" when its JPEG is larger than the median of those chosen.
    /// </summary>
    internal static (string Data, List<(string File, IReadOnlySet<string> Labels)> Truth) Photos(TempDir tmp, int count)
    {
        var photos = new[] { "cat", "dog" }.SelectMany(c => Directory.GetFiles(Path.Combine(TestPaths.CatsVsDogs, "test", c)).Order(StringComparer.Ordinal).Take(count / 2)).ToList();
        long median = photos.Select(f => new FileInfo(f).Length).Order().ElementAt(photos.Count / 2);
        string data = tmp.Sub("photos");
        Directory.CreateDirectory(data);
        var truth = new List<(string, IReadOnlySet<string>)>();
        foreach (string photo in photos)
        {
            string cls = Path.GetFileName(Path.GetDirectoryName(photo))!;
            string name = $"{cls}-{Path.GetFileName(photo)}";
            File.CreateSymbolicLink(Path.Combine(data, name), photo);
            var labels = new HashSet<string>(StringComparer.Ordinal) { cls };
            if (new FileInfo(photo).Length > median)
            {
                labels.Add("big");
            }

            truth.Add((name, labels));
        }

        return (data, truth);
    }
}
