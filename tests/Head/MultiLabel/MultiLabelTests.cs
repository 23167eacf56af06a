using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Pipeline.Tests.Head.Inference;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.MultiLabel;

/// <summary>
/// The shared photos made multi-label inside the test: every image is "animal", "cat" or "dog" from its folder,
/// and "big" when its JPEG is larger than the split's median (an attribute of the image itself). Extracted once
/// through the real ResNet18 with <c>--labels FILE --label-separator '|'</c>: 200 training photos per class, all 400 test photos.
/// </summary>
public sealed class MultiLabelCache : IDisposable
{
    private readonly TempDir _dir = new();

    public MultiLabelCache()
    {
        foreach (var (split, take) in new[] { ("train", 200), ("test", int.MaxValue) })
        {
            string data = Path.Combine(TestPaths.CatsVsDogs, split);
            var files = new[] { "cat", "dog" }.SelectMany(c => Directory.GetFiles(Path.Combine(data, c)).Order(StringComparer.Ordinal).Take(take)).ToList();
            long median = files.Select(f => new FileInfo(f).Length).Order().ElementAt(files.Count / 2);
            var lines = new List<string> { "filename,label" };
            foreach (string f in files)
            {
                string relative = Path.GetRelativePath(data, f).Replace('\\', '/');
                string tags = $"animal|{relative.Split('/')[0]}|{(new FileInfo(f).Length > median ? "big" : "")}";   // a trailing '|' is an empty part, dropped
                Truth[$"{split}/{relative}"] = tags.Split('|', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                lines.Add($"{relative},{tags}");
            }

            File.WriteAllLines(_dir.Sub($"{split}.csv"), lines);
            FeatureExtractor.Run(new ExtractionOptions
            {
                Data = data, Out = Path.Combine(Root, split), Labels = _dir.Sub($"{split}.csv"), LabelSeparator = "|", Backbone = new BackboneSpec { Device = DeviceRequest.Cpu },
            });
        }

        // The two split caches under one root, as extract writes for split folders.
        AtomicFile.Write(Path.Combine(Root, FeatureCache.ManifestFile),
            JsonSerializer.SerializeToUtf8Bytes(new SplitRootManifest { Splits = ["train", "test"], Classes = Labels }, JsonFormats.Indented));
    }

    public static IReadOnlyList<string> Labels { get; } = ["animal", "big", "cat", "dog"];

    public string Root => _dir.Sub("cache");

    /// <summary>Each image's labels as the CSV gave them, keyed SPLIT/PATH.</summary>
    public Dictionary<string, HashSet<string>> Truth { get; } = [];

    public void Dispose() => _dir.Dispose();
}

/// <summary>Multi-label heads end to end: extract, train, evaluate, predict, export (issue 33.2).</summary>
public sealed class MultiLabelTests(MultiLabelCache fixture) : IClassFixture<MultiLabelCache>
{
    /// <summary>The cache records multi-label and the vocabulary, and targets.npy holds each row's labels as the CSV gave them.</summary>
    [Fact]
    public void ExtractWritesTheMultiHotTargetsBesideTheRows()
    {
        using var cache = FeatureCache.Open(fixture.Root, "train");
        Assert.True(cache.MultiLabel);
        Assert.Equal(MultiLabelCache.Labels, cache.Classes);
        Assert.Equal(CacheWriter.TargetsFile, cache.Manifest.Parts[0].Targets);
        Assert.True(File.Exists(Path.Combine(cache.Directory, CacheWriter.TargetsFile)));
        for (int row = 0; row < cache.Count; row++)
        {
            var expected = fixture.Truth[$"train/{cache.Manifest.Items[row].Path}"];
            Assert.Equal(expected.Order(StringComparer.Ordinal), MultiLabelCache.Labels.Where((_, c) => cache.Has(row, c)));
        }
    }

    /// <summary>
    /// Cross-validated training gives a sigmoid head with one threshold per label; on the test photos cat and dog
    /// score F1 ≥ 0.95, and the mAP equals an independent recomputation (mean over positives of the precision at
    /// their rank); predict's labels are exactly those over their thresholds; the export computes the same
    /// probabilities to 1e-4 with the thresholds in its metadata.
    /// </summary>
    [Fact]
    public void TrainEvaluatePredictAndExportAMultiLabelHead()
    {
        using var classifier = new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu } }.Train(fixture.Root);
        Assert.True(classifier.MultiLabel);
        Assert.Equal(4, classifier.Thresholds!.Count);
        Assert.All(classifier.Thresholds, t => Assert.InRange(t, 0, 1));

        var e = classifier.Evaluate(fixture.Root);
        var m = e.MultiLabel!;
        Assert.Equal(400, e.Images);
        Assert.True(m.PerLabel[2].F1 >= 0.95 && m.PerLabel[3].F1 >= 0.95, $"cat F1 {m.PerLabel[2].F1:F4}, dog F1 {m.PerLabel[3].F1:F4}");
        Assert.Equal(1.0, m.PerLabel[0].F1);   // every image is an animal

        using var test = FeatureCache.Open(fixture.Root, "test");
        var rows = new float[test.Count * test.FeatureLength];
        test.ReadRows(Enumerable.Range(0, test.Count).ToArray(), rows);
        var p = classifier.Trained.Probabilities(rows, test.Count);   // (400, 4)
        var ap = Enumerable.Range(0, 4).Select(c =>
        {
            var ranked = Enumerable.Range(0, test.Count).OrderByDescending(i => p[(i * 4) + c]).ToArray();
            var hits = ranked.Select((i, rank) => (has: test.Has(i, c), rank)).Where(x => x.has).Select((x, nth) => (nth + 1.0) / (x.rank + 1)).ToArray();
            return hits.Average();
        }).ToArray();
        Assert.Equal(ap.Average(), m.MeanAveragePrecision, 1e-9);

        using var tmp = new TempDir();
        string page = File.ReadAllText(e.WriteReport(tmp.Sub("report")));
        Assert.Contains($"data-map=\"{m.MeanAveragePrecision.ToString("R", CultureInfo.InvariantCulture)}\"", page, StringComparison.Ordinal);
        Assert.Contains("data-label=\"big\"", page, StringComparison.Ordinal);

        var (files, pixels) = ClassifierExportTests.TestPhotosAt(tmp, 8);
        var predictions = classifier.Predict(files, top: 4);
        foreach (var prediction in predictions)
        {
            var over = prediction.Top.Where(t => t.Probability >= classifier.Thresholds[MultiLabelCache.Labels.ToList().IndexOf(t.Class)]).Select(t => t.Class).Order(StringComparer.Ordinal);
            Assert.Equal(over, prediction.Labels);
        }

        var exported = classifier.Export(tmp.Sub("classifier.onnx"));
        using var session = new InferenceSession(exported.File);
        Assert.Equal("true", session.ModelMetadata.CustomMetadataMap["multiLabel"]);
        Assert.Equal(classifier.Thresholds, JsonSerializer.Deserialize<double[]>(session.ModelMetadata.CustomMetadataMap["thresholds"])!);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [8, 224, 224, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        var expected = predictions.SelectMany(pr => MultiLabelCache.Labels.Select(l => (float)pr.Top.Single(t => t.Class == l).Probability)).ToArray();
        double worst = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest probability difference export vs predict: {worst}");
    }

    /// <summary>Options a multi-label head cannot take, and a separator without a label file or that is the CSV's comma, are refused naming the setting.</summary>
    [Fact]
    public void IncompatibleOptionsAndBadSeparatorsAreRefused()
    {
        var probe = Assert.Throws<InvalidSettingException>(() => new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu, ConvexProbe = true } }.Train(fixture.Root));
        Assert.Equal("convex-probe", probe.Setting);
        var weights = Assert.Throws<InvalidSettingException>(() => new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu, BalancedClassWeights = true } }.Train(fixture.Root));
        Assert.Equal("class-weight", weights.Setting);

        using var tmp = new TempDir();
        var noFile = Assert.Throws<InvalidSettingException>(() => FeatureExtractor.Run(new ExtractionOptions { Data = TestPaths.CatsVsDogs, Out = tmp.Sub("c"), LabelSeparator = "|" }));
        Assert.Equal("label-separator", noFile.Setting);
        File.WriteAllLines(tmp.Sub("l.csv"), ["filename,label", "cat/cat.1.jpg,cat"]);
        var comma = Assert.Throws<InvalidSettingException>(() => Pipeline.Extractor.Dataset.LabelFile.Read(tmp.Sub("l.csv"), Path.Combine(TestPaths.CatsVsDogs, "train"), separator: ","));
        Assert.Equal("label-separator", comma.Setting);
    }

    /// <summary>Average precision against a hand-computed case with a tie (scikit-learn gives 0.8333 for these scores).</summary>
    [Fact]
    public void AveragePrecisionIsScikitLearns()
    {
        // y = [1, 0, 1, 0], scores = [0.9, 0.8, 0.8, 0.1]: thresholds 0.9 (P 1, R 0.5), 0.8 (P 2/3, R 1) → 0.5·1 + 0.5·2/3.
        Assert.Equal(0.5 + (0.5 * 2.0 / 3), MultiLabelScoring.AveragePrecision([0.9, 0.8, 0.8, 0.1], [true, false, true, false]), 1e-12);
        Assert.True(double.IsNaN(MultiLabelScoring.AveragePrecision([0.5], [false])));
    }
}
