using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Pipeline.Tests.Head.Inference;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

/// <summary>
/// A multi-label label file with one 0/1 column per label through the real CLI: extract → train → evaluate →
/// predict → export on the shared photos and the real ResNet18 (issue 33).
/// </summary>
public sealed class MultiLabelCliTests
{
    private static readonly string[] Labels = ["big", "cat", "dog"];

    /// <summary>
    /// <c>file,cat,dog,big</c> CSVs written here over 200 training and 40 test photos ("big": JPEG above the split's
    /// median size), one bad row each: extract reports the bad row in one line and caches the rest; train prints the
    /// held-out micro-F1 and keeps three thresholds; evaluate's micro-F1 is recomputed from predict's CSV of the same
    /// photos at those thresholds, with cat and dog F1 ≥ 0.85 (predicting every label for every image gives 0.67); each predicted label set is exactly the labels over
    /// their thresholds; the export carries the thresholds and computes predict's probabilities to 1e-4.
    /// </summary>
    [Fact]
    public void LabelColumnsExtractTrainEvaluatePredictAndExport()
    {
        using var tmp = new TempDir();
        var truth = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (split, take) in new[] { ("train", 100), ("test", 20) })
        {
            string data = tmp.Sub(split);
            Directory.CreateDirectory(data);
            var photos = new[] { "cat", "dog" }.SelectMany(c => Directory.GetFiles(Path.Combine(TestPaths.CatsVsDogs, split, c)).Order(StringComparer.Ordinal).Take(take)).ToList();
            long median = photos.Select(f => new FileInfo(f).Length).Order().ElementAt(photos.Count / 2);
            var lines = new List<string> { "file,cat,dog,big" };
            foreach (string photo in photos)
            {
                string cls = Path.GetFileName(Path.GetDirectoryName(photo))!;
                string name = $"{cls}-{Path.GetFileName(photo)}";
                File.CreateSymbolicLink(Path.Combine(data, name), photo);
                bool big = new FileInfo(photo).Length > median;
                truth[Path.Combine(data, name)] = big ? [cls, "big"] : [cls];
                lines.Add($"{name},{(cls == "cat" ? 1 : 0)},{(cls == "dog" ? 1 : 0)},{(big ? 1 : 0)}");
            }

            File.Copy(photos[0], Path.Combine(data, "odd.jpg"));
            lines.Add("odd.jpg,1,yes,0");
            File.WriteAllLines(tmp.Sub($"{split}.csv"), lines);
            var extract = CliProcess.Run("extract", "--data", data, "--labels", tmp.Sub($"{split}.csv"), "--label-columns", "*", "--out", tmp.Sub($"cache-{split}"), "--device", "cpu");
            Assert.True(extract.ExitCode == 0, extract.Stderr);
            Assert.Single(extract.Stderr.Split('\n'), l => l.Contains("'odd.jpg' has 'yes' in column 'dog' (expected 0 or 1); row left out", StringComparison.Ordinal));
        }

        var train = CliProcess.Run("train", "--cache", tmp.Sub("cache-train"), "--out", tmp.Sub("head"), "--head-device", "cpu");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("held-out micro-F1", train.Stdout, StringComparison.Ordinal);
        Assert.Contains("iteratively stratified", train.Stdout, StringComparison.Ordinal);
        using var head = JsonDocument.Parse(File.ReadAllText(tmp.Sub("head", "head.json")));
        var thresholds = head.RootElement.GetProperty("thresholds").EnumerateArray().Select(t => t.GetDouble()).ToArray();
        Assert.Equal(3, thresholds.Length);

        var evaluate = CliProcess.Run("evaluate", "--head", tmp.Sub("head"), "--cache", tmp.Sub("cache-test"), "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        using var e = JsonDocument.Parse(evaluate.Stdout);
        var m = e.RootElement.GetProperty("multiLabel");
        var f1 = m.GetProperty("perLabel").EnumerateArray().ToDictionary(l => l.GetProperty("class").GetString()!, l => l.GetProperty("f1").GetDouble());
        Assert.True(f1["cat"] >= 0.85 && f1["dog"] >= 0.85, $"cat F1 {f1["cat"]:F4}, dog F1 {f1["dog"]:F4}");

        var predict = CliProcess.Run("predict", "--head", tmp.Sub("head"), "--csv", tmp.Sub("test"));
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var csv = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("file,labels,big,cat,dog,skipped", csv[0].Trim());
        long tp = 0, fp = 0, fn = 0, scored = 0;
        foreach (string row in csv.Skip(1))
        {
            var cells = row.Trim().Split(',');
            if (!truth.TryGetValue(cells[0], out var expected))
            {
                continue;   // odd.jpg: not in the cache
            }

            scored++;
            var p = cells[2..5].Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            var over = Labels.Where((_, c) => p[c] >= thresholds[c]).ToArray();
            Assert.Equal(string.Join('|', over), cells[1]);
            tp += over.Count(expected.Contains);
            fp += over.Count(l => !expected.Contains(l));
            fn += expected.Count(l => !over.Contains(l));
        }

        Assert.Equal(40, scored);
        Assert.Equal(2.0 * tp / ((2.0 * tp) + fp + fn), m.GetProperty("microF1").GetDouble(), 1e-3);

        var export = CliProcess.Run("export", "--head", tmp.Sub("head"), "--out", tmp.Sub("classifier.onnx"));
        Assert.True(export.ExitCode == 0, export.Stderr);
        var (files, pixels) = ClassifierExportTests.TestPhotosAt(tmp, 4);
        var png = CliProcess.Run(["predict", "--head", tmp.Sub("head"), "--csv", .. files]);
        Assert.True(png.ExitCode == 0, png.Stderr);
        var expectedP = png.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .SelectMany(r => r.Trim().Split(',')[2..5].Select(c => float.Parse(c, CultureInfo.InvariantCulture))).ToArray();
        using var session = new InferenceSession(tmp.Sub("classifier.onnx"));
        Assert.Equal("true", session.ModelMetadata.CustomMetadataMap["multiLabel"]);
        Assert.Equal(thresholds, JsonSerializer.Deserialize<double[]>(session.ModelMetadata.CustomMetadataMap["thresholds"])!);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [4, 224, 224, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        double worst = actual.Zip(expectedP, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest probability difference export vs predict: {worst}");
    }
}
