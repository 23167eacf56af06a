using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Backbones;

/// <summary>int8 as a precision (extract --precision int8), and int8 quantization of a vision transformer.</summary>
public sealed class Int8PrecisionTests
{
    /// <summary>
    /// extract --precision int8 quantizes the backbone on the fly, calibrated on the training images, keeps the file in
    /// CACHE/.models named by the source's hash and the calibration's, and reuses it on the next run; the cache records
    /// precision int8 and the source model; its rows are finite and close to fp32's.
    /// </summary>
    [Fact]
    public void ExtractInt8QuantizesOnceKeepsTheFileBesideTheCacheAndReusesIt()
    {
        using var tmp = new TempDir();
        string model = tmp.Sub("tiny.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 2), model);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);
        string[] common = ["extract", "--data", data, "--backbone", model, "--preprocess", "unit", "--device", "cpu"];

        var first = CliProcess.Run([.. common, "--out", tmp.Sub("int8"), "--precision", "int8"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        string sha = Sha256Of(model)[..12];
        var kept = Directory.GetFiles(tmp.Sub("int8/.models"), "*.onnx");
        Assert.Single(kept);
        Assert.Matches($"^{sha}-int8-[0-9a-f]{{12}}\\.onnx$", Path.GetFileName(kept[0]));
        Assert.Contains("int8", PipelineMetadata.Read(OnnxGraph.Load(kept[0]), kept[0]).Quantization);

        var again = CliProcess.Run([.. common, "--out", tmp.Sub("int8"), "--precision", "int8", "--force"]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("reusing", again.Stdout + again.Stderr);
        Assert.Single(Directory.GetFiles(tmp.Sub("int8/.models"), "*.onnx"));

        Assert.Equal(0, CliProcess.Run([.. common, "--out", tmp.Sub("fp32"), "--quiet"]).ExitCode);
        using var int8 = FeatureCache.Open(tmp.Sub("int8"));
        using var fp32 = FeatureCache.Open(tmp.Sub("fp32"));
        Assert.Equal(Pipeline.Precision.Int8, int8.Manifest.Space.Backbone.Precision);
        Assert.Equal(fp32.Manifest.Space.Backbone.Sha256, int8.Manifest.Space.Backbone.Sha256);
        var a = AllRows(int8);
        var b = AllRows(fp32);
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
        double cosine = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
        Assert.True(cosine > 0.98, $"cosine of all int8 rows to fp32's: {cosine}");
    }

    /// <summary>
    /// A head trained on int8 features runs behind the int8 file they came from, with no calibration images: the cache
    /// and head record it (calibration, full path, hash); predict uses it; export embeds it, and ONNX Runtime on the
    /// exported file gives predict's probabilities. A head whose int8 file is gone or changed is refused naming the file
    /// (exit 4); a copy of the file given with --backbone is taken, found by its hash.
    /// </summary>
    [Fact]
    public void HeadOnInt8FeaturesPredictsAndExportsBehindItsOwnInt8File()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);
        var extract = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--precision", "int8", "--quiet");
        Assert.True(extract.ExitCode == 0, extract.Stderr);
        string kept = Assert.Single(Directory.GetFiles(tmp.Sub("cache/.models"), "*.onnx"));
        var train = CliProcess.Run("train", "--cache", tmp.Sub("cache"), "--out", tmp.Sub("head"), "--folds", "0", "--epochs", "3", "--head-device", "cpu", "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var recorded = TrainedHeadManifest(tmp.Sub("head")).Quantized;
        Assert.NotNull(recorded);
        Assert.Equal(Path.GetFullPath(kept), recorded.File);
        Assert.Equal(Sha256Of(kept), recorded.Sha256);
        Assert.EndsWith($"-int8-{recorded.Calibration}.onnx", kept);

        var (files, pixels) = Pipeline.Tests.Head.Inference.ClassifierExportTests.TestPhotosAt(tmp, 4);
        var predict = CliProcess.Run(["predict", "--head", tmp.Sub("head"), "--device", "cpu", "--top", "2", "--json", .. files]);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        string onnx = tmp.Sub("classifier.onnx");
        var export = CliProcess.Run("export", "--head", tmp.Sub("head"), "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains(OnnxGraph.Load(onnx).Graph.Node, n => n.OpType == "QLinearConv" || n.OpType == "ConvInteger" || n.OpType == "DequantizeLinear");
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx))
        using (var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(pixels, [4, 224, 224, 3]))
        using (var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["image"], [input], ["probabilities"]))
        {
            var fromOrt = results[0].GetTensorDataAsSpan<float>().ToArray();
            var expected = Pipeline.Tests.Extractor.Onnx.TransformerTests.PredictedProbabilities(predict.Stdout, files);
            double worst = fromOrt.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst < 1e-4, $"largest probability difference export (ONNX Runtime) vs predict: {worst}");
        }

        string copy = tmp.Sub("elsewhere/resnet18-int8.onnx");
        Directory.CreateDirectory(tmp.Sub("elsewhere"));
        File.Move(kept, copy);
        var gone = CliProcess.Run(["predict", "--head", tmp.Sub("head"), "--device", "cpu", .. files]);
        Assert.Equal(4, gone.ExitCode);
        Assert.Contains(kept, gone.Stderr);
        Assert.Contains("is not there", gone.Stderr);

        var fromCopy = CliProcess.Run(["predict", "--head", tmp.Sub("head"), "--backbone", copy, "--device", "cpu", "--top", "2", "--json", .. files]);
        Assert.True(fromCopy.ExitCode == 0, fromCopy.Stderr);
        Assert.Equal(predict.Stdout, fromCopy.Stdout);

        File.Copy(copy, kept);
        using (var stream = new FileStream(kept, FileMode.Open))
        {
            stream.Seek(-8, SeekOrigin.End);
            stream.WriteByte(0x5a);   // a byte of the last initializer: the file still loads, with other weights
        }

        var changed = CliProcess.Run(["predict", "--head", tmp.Sub("head"), "--device", "cpu", .. files]);
        Assert.Equal(4, changed.ExitCode);
        Assert.Contains("was changed or replaced", changed.Stderr);
    }

    private static BackboneInfo TrainedHeadManifest(string head)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(head, "head.json")));
        return System.Text.Json.JsonSerializer.Deserialize<BackboneInfo>(doc.RootElement.GetProperty("backbone"), Pipeline.Conventions.JsonFormats.Indented)!;
    }

    /// <summary>
    /// The synthetic ViT quantizes: its weighted MatMuls and the patch Conv become int8 (ONNX Runtime runs them as
    /// integer kernels), attention, Softmax, LayerNormalization and Gelu stay float, the int64 shape chain is untouched,
    /// and its class-token features on held-out photos keep a finite cosine to fp32.
    /// </summary>
    [Fact]
    public void VitQuantizesItsMatMulsAndKeepsFiniteFeatures()
    {
        using var tmp = new TempDir();
        string model = tmp.Sub("vit.onnx");
        SynthModels.Save(SynthModels.Vit(seed: 1), model);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 8);
        var report = Int8Quantizer.Run(new QuantizeOptions
        {
            Backbone = new BackboneSpec { Backbone = model, Pool = Pipeline.Pooling.Cls, Device = DeviceRequest.Cpu },
            Calibration = data, Output = tmp.Sub("vit-int8.onnx"), Images = 10, Holdout = 6,
        });
        Assert.Equal(1 + (2 * 6), report.WeightedOps);   // the patch Conv; per block q, k, v, out, fc1, fc2 (the pooler is cut away)
        Assert.True(report.IntegerKernels > 0, $"integer kernels: {report.IntegerKernels}");
        Assert.Equal(6, report.FidelityImages);
        Assert.True(double.IsFinite(report.MedianCosine) && report.MedianCosine > 0.9, $"median cosine to fp32: {report.MedianCosine}");

        using var backbone = Backbone.Load(new BackboneSpec { Backbone = report.Output, Device = DeviceRequest.Cpu });
        Assert.Equal([32], backbone.FeatureShape);
    }

    private static float[] AllRows(FeatureCache cache)
    {
        var rows = new float[cache.Count * cache.FeatureLength];
        cache.ReadRows(Enumerable.Range(0, cache.Count).ToArray(), rows);
        return rows;
    }

    private static string Sha256Of(string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
}
