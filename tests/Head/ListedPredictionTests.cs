using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head;

/// <summary>predict over the images a label file lists (Kaggle's test.csv, a labelled CSV, JSON lines), scored where rows have labels.</summary>
[Collection(HeadFileCollection.Name)]
public sealed class ListedPredictionTests(SmallHead small)
{
    private static readonly string TestFolder = Path.GetDirectoryName(Path.GetDirectoryName(TestPaths.Photo("test", "cat", 4001)))!;

    [Fact]
    public void LabelledRowsArePredictedInOrderAndScoredAndBadRowsAreNamed()
    {
        using var tmp = new TempDir();
        string csv = tmp.Sub("test.csv");
        var rows = new List<string> { "id,label" };
        var expected = new List<(string File, string Label)>();
        for (int i = 4001; i <= 4006; i++)
        {
            foreach (var cls in new[] { "cat", "dog" })
            {
                rows.Add($"{cls}/{cls}.{i},{cls}");   // Kaggle style: no extension
                expected.Add((TestPaths.Photo("test", cls, i), cls));
            }
        }

        rows.Add("cat/missing.jpg,cat");                 // line 14
        rows.Add("dog/dog.4007.jpg,horse");              // line 15: a label the head does not know
        rows.Add("cat/cat.4007.jpg,");                   // line 16: no label, still predicted
        rows.Add("cat/cat.4001.jpg,cat");                // line 17: listed again
        File.WriteAllLines(csv, rows);

        using var classifier = new TransferLearning { Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } }.Load(small.Folder);
        var listed = classifier.PredictListed(csv, TestFolder);
        var got = listed.ToList();

        Assert.Equal(expected.Select(e => e.File).Append(TestPaths.Photo("test", "dog", 4007)).Append(TestPaths.Photo("test", "cat", 4007)), got.Select(g => g.Prediction.File));
        Assert.Equal(expected.Select(e => (string?)e.Label).Append("horse").Append(null), got.Select(g => g.Label));

        // Each prediction is the one predict gives the file alone; Correct and the tally follow from them.
        var alone = classifier.Predict(got.Select(g => g.Prediction.File));
        Assert.Equal(alone.Select(p => p.Label), got.Select(g => g.Prediction.Label));
        int correct = expected.Zip(alone).Count(x => x.Second.Label == x.First.Label);
        Assert.Equal(12, listed.Labelled);
        Assert.Equal(correct, listed.Correct);
        Assert.Equal(expected.Zip(alone).Select(x => (bool?)(x.Second.Label == x.First.Label)).Append(null).Append(null), got.Select(g => g.Correct));

        Assert.Equal(3, listed.Problems.Count);
        Assert.Contains(listed.Problems, p => p.Contains("test.csv:14", StringComparison.Ordinal) && p.Contains("missing.jpg", StringComparison.Ordinal));
        Assert.Contains(listed.Problems, p => p.Contains("label 'horse' is not one of the head's classes", StringComparison.Ordinal));
        Assert.Contains(listed.Problems, p => p.Contains("test.csv:17", StringComparison.Ordinal) && p.Contains("listed again", StringComparison.Ordinal));
    }

    [Fact]
    public void AnIdOnlyListIsPredictedWithNothingScoredAndTheCliPrintsEveryRow()
    {
        using var tmp = new TempDir();
        Datasets.SmallCatsDogs(tmp.Sub("images"), perClass: 3, first: 4001, split: "test");
        string csv = tmp.Sub("images", "ids.csv");
        File.WriteAllLines(csv, ["id", "cat/cat.4001", "dog/dog.4002", "cat/cat.4003"]);   // paths relative to the CSV's own folder

        var r = CliProcess.Run("predict", "--head", small.Folder, "--labels", csv, "--csv", "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("file,rank,class,probability,skipped", lines[0]);
        Assert.Equal(["cat.4001.jpg", "dog.4002.jpg", "cat.4003.jpg"], lines.Skip(1).Select(l => Path.GetFileName(l.Split(',')[0])));
        Assert.Contains("no row has a label of the head's classes; nothing scored", r.Stderr, StringComparison.Ordinal);

        var both = CliProcess.Run("predict", "--head", small.Folder, "--labels", csv, tmp.Sub("images"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("PATH and --labels both name the images", both.Stderr, StringComparison.Ordinal);
    }
}
