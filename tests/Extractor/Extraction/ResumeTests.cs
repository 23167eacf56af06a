using System.Text.Json;
using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Extraction;

public sealed class ResumeTests
{
    private static readonly string[] CacheFiles = ["manifest.json", "features.npy", "labels.npy"];

    /// <summary>
    /// SIGKILLs a real extract process once it has committed three batches (the extractor's test hook stops it there and
    /// says so on stderr: no polling, no race with the end of the run), reruns the same command, checks that exactly the
    /// uncommitted images are computed, and compares every byte with an uninterrupted run.
    /// </summary>
    [Fact]
    public void KilledExtractResumesWithoutRecomputingAndEndsByteIdentical()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 48);
        string[] common = ["--data", data, "--device", "cpu", "--batch", "8", "--quiet", "--json"];

        var clean = CliProcess.Run(["extract", "--out", tmp.Sub("clean"), .. common]);
        Assert.True(clean.ExitCode == 0, clean.Stderr);

        string killed = tmp.Sub("killed");
        string journal = Path.Combine(killed, ".partial", "journal.jsonl");
        using (var p = CliProcess.Start(new Dictionary<string, string> { [PartialStore.HaltAfterCommitsVariable] = "3" }, ["extract", "--out", killed, .. common]))
        {
            try
            {
                var stderr = new List<string>();
                while (p.StandardError.ReadLine() is { } line && !line.StartsWith("halted after 3 committed batches", StringComparison.Ordinal))
                {
                    stderr.Add(line);
                }

                Assert.False(p.HasExited, $"extract ended before its third commit: {string.Join('\n', stderr)}");
            }
            finally
            {
                p.Kill(entireProcessTree: true);   // SIGKILL
                p.WaitForExit();
            }
        }

        Assert.False(File.Exists(Path.Combine(killed, "manifest.json")));
        var lines = File.ReadAllLines(journal);
        Assert.Equal(3, lines.Length);
        int committedRows = lines.Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("rows").GetArrayLength());
        Assert.Equal(24, committedRows);

        var resumed = CliProcess.Run(["extract", "--out", killed, .. common]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        using var json = JsonDocument.Parse(resumed.Stdout);
        Assert.Equal(96 - committedRows, json.RootElement.GetProperty("computed").GetInt32());

        foreach (var f in CacheFiles)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(tmp.Sub("clean"), f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f))), $"{f} differs after resume");
        }

        Assert.False(Directory.Exists(Path.Combine(killed, ".partial")));
    }

    [Fact]
    public void ChangedAndAddedFilesAreRecomputedTheRestReused()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 4);
        var options = new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu }, Batch = 4 };
        FeatureExtractor.Run(options);

        File.Copy(TestPaths.Photo("train", "cat", 100), Path.Combine(data, "cat", "cat.1.jpg"), overwrite: true);   // same name, new content
        File.Copy(TestPaths.Photo("train", "dog", 100), Path.Combine(data, "dog", "dog.100.jpg"));
        var report = FeatureExtractor.Run(options);

        Assert.Equal(2, report.Computed);
        Assert.Equal(7, report.Splits[0].Reused);
        using var cache = FeatureCache.Open(options.Out);
        Assert.Equal(9, cache.Count);
        var item = cache.Manifest.Items.Single(i => i.Path == "cat/cat.1.jpg");
        Assert.Equal(new FileInfo(TestPaths.Photo("train", "cat", 100)).Length, item.Bytes);
    }

    [Fact]
    public void CacheFromOtherPreprocessingIsRefusedUnlessForced()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        var squash = new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu, Resize = ResizeMode.Squash } };
        FeatureExtractor.Run(squash);

        var crop = squash with { Backbone = squash.Backbone with { Resize = ResizeMode.Crop } };
        var e = Assert.ThrowsAny<PipelineException>(() => FeatureExtractor.Run(crop));
        Assert.Equal(ExitCode.CacheMismatch, Reported.Of(e).Code);
        Assert.Contains("resize=Squash", e.Message);
        Assert.Contains("resize=Crop", e.Message);
        Assert.Contains("--force", Reported.Of(e).Hint);

        var half = squash with { Dtype = FeatureDtype.Float16 };
        Assert.Equal(ExitCode.CacheMismatch, Reported.Of(Assert.ThrowsAny<PipelineException>(() => FeatureExtractor.Run(half))).Code);

        var forced = FeatureExtractor.Run(crop with { Force = true });
        Assert.Equal(4, forced.Computed);
        Assert.Equal(ResizeMode.Crop, FeatureCache.ReadManifest(squash.Out).Preprocessing.Resize);
    }

    [Fact]
    public void CacheFromAnotherBackboneFileIsRefusedWithBothNamed()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        var options = new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } };
        FeatureExtractor.Run(options);

        string other = tmp.Sub("resnet18-copy.onnx");
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
        var model = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        model.DocString = "a different file: same graph, other bytes";
        File.WriteAllBytes(other, Google.Protobuf.MessageExtensions.ToByteArray(model));

        var e = Assert.ThrowsAny<PipelineException>(() => FeatureExtractor.Run(options with { Backbone = options.Backbone with { Backbone = "resnet18", Model = other } }));
        Assert.Equal(ExitCode.CacheMismatch, Reported.Of(e).Code);
        Assert.Contains("backbone resnet18", e.Message);
        Assert.Contains(options.Out, e.Message);
    }

    [Fact]
    public void Float16CacheReadsCloseToFloat32()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        var f32 = new ExtractionOptions { Data = data, Out = tmp.Sub("f32"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } };
        FeatureExtractor.Run(f32);
        FeatureExtractor.Run(f32 with { Out = tmp.Sub("f16"), Dtype = FeatureDtype.Float16 });
        using var a = FeatureCache.Open(tmp.Sub("f32"));
        using var b = FeatureCache.Open(tmp.Sub("f16"));
        Assert.Equal(a.Count * a.FeatureLength * 2 + 128, new FileInfo(tmp.Sub("f16", "features.npy")).Length);
        var ra = new float[a.FeatureLength];
        var rb = new float[b.FeatureLength];
        double worst = 0;
        for (int r = 0; r < a.Count; r++)
        {
            a.ReadRow(r, ra);
            b.ReadRow(r, rb);
            worst = Math.Max(worst, ra.Zip(rb, (x, y) => Math.Abs(x - y) / Math.Max(1, Math.Abs(x))).Max());
        }

        Assert.True(worst < 1e-3, $"largest relative difference float16 vs float32: {worst}");
    }
}
