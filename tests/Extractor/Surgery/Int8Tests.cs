using Microsoft.ML.OnnxRuntime;
using Pipeline.Cli;
using Pipeline.Tests.Head.Inference;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Surgery;

/// <summary>The real ResNet18 quantized once (calibrated on 64 training photos), for every int8 test.</summary>
public sealed class QuantizedResNet18 : IDisposable
{
    private readonly TempDir _dir = new();

    public QuantizedResNet18()
    {
        Report = Int8Quantizer.Run(new QuantizeOptions
        {
            Backbone = new BackboneSpec { Device = DeviceRequest.Cpu }, Calibration = Path.Combine(TestPaths.CatsVsDogs, "train"), Output = File, Images = 64, Holdout = 32,
        });
    }

    public string File => _dir.Sub("resnet18-int8.onnx");

    internal QuantizationReport Report { get; }

    public void Dispose() => _dir.Dispose();
}

[Collection(ResNetCollection.Name)]
public sealed class Int8Tests(ResNetCache fixture, QuantizedResNet18 quantizedModel) : IClassFixture<QuantizedResNet18>
{
    /// <summary>
    /// ONNX Runtime's optimized graph of the quantized ResNet18 runs all 22 convolutions as integer kernels
    /// (QLinearConv), none in float; every BatchNorm is folded; the weights are int8 and the file records its
    /// preprocessing (the packaged mean image is in the graph), its feature tensor and how it was calibrated.
    /// </summary>
    [Fact]
    public void EveryConvolutionRunsAsAnIntegerKernelAndTheFileCarriesItsPreprocessing()
    {
        Assert.Equal(22, quantizedModel.Report.WeightedOps);
        Assert.Equal(22, quantizedModel.Report.IntegerKernels);
        Assert.Empty(quantizedModel.Report.FloatWeightedOps);
        Assert.Equal(64, quantizedModel.Report.Images);
        Assert.Equal(32, quantizedModel.Report.FidelityImages);
        Assert.True(quantizedModel.Report.MedianCosine > 0.99, $"median cosine to fp32 on 32 photos outside the sample: {quantizedModel.Report.MedianCosine}");

        var model = OnnxGraph.Load(quantizedModel.File);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType is "BatchNormalization");
        Assert.Equal(22, model.Graph.Initializer.Count(t => t.DataType == (int)global::Onnx.TensorProto.Types.DataType.Int8 && t.Dims.Count == 4));
        var meta = PipelineMetadata.Read(model, quantizedModel.File);
        Assert.Equal("Pooling395_Output_0", meta.FeatureTensor);
        Assert.Equal(ColorOrder.Bgr, meta.Channels);
        Assert.Equal(ResizeMode.Crop, meta.Resize);
        Assert.Contains("int8", meta.Quantization);

        // With no other option, it loads with the preset's preprocessing, its mean image now inside the graph.
        using var backbone = Backbone.Load(new BackboneSpec { Backbone = quantizedModel.File, Device = DeviceRequest.Cpu });
        using var fp32 = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Cpu });
        Assert.Equal(fp32.Preprocessing with { MeanImageSha256 = null }, backbone.Preprocessing with { Mean = fp32.Preprocessing.Mean, Std = fp32.Preprocessing.Std });
        Assert.Equal([512, 1, 1], backbone.FeatureShape);
    }

    /// <summary>
    /// The fixture's comparison photos (200 training photos, all 400 test photos) through the int8 file with no option
    /// but --backbone: each feature row keeps a cosine above 0.95 to the fp32 row of the same photo (median above 0.99),
    /// the cache records the int8 file's hash, and a default head trained on the int8 features scores inside the 95 %
    /// interval of the test accuracy of the fp32 head trained on the same photos.
    /// </summary>
    [Fact]
    public void Int8FeaturesStayCloseToFp32AndKeepTheHeadsAccuracy()
    {
        using var tmp = new TempDir();
        var result = CliProcess.Run("extract", "--data", fixture.ComparisonPhotos, "--out", tmp.Sub("int8"), "--backbone", quantizedModel.File, "--device", "cpu", "--quiet");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var cosines = new List<double>();
        foreach (var split in new[] { SplitName.Train, SplitName.Test })
        {
            using var a = FeatureCache.Open(fixture.Root, split);
            using var b = FeatureCache.Open(tmp.Sub("int8"), split);
            Assert.Equal(Sha256.Hex(File.ReadAllBytes(quantizedModel.File)), b.Manifest.Backbone.Sha256);
            var rowOf = Enumerable.Range(0, a.Count).ToDictionary(r => a.Manifest.Items[r].Path, StringComparer.Ordinal);
            var (ra, rb) = (new float[a.FeatureLength], new float[b.FeatureLength]);
            for (int r = 0; r < b.Count; r++)
            {
                a.ReadRow(rowOf[b.Manifest.Items[r].Path], ra);
                b.ReadRow(r, rb);
                cosines.Add(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(ra, rb));
            }
        }

        cosines.Sort();
        Assert.Equal((2 * ResNetCache.ComparisonTrainPerClass) + 400, cosines.Count);
        Assert.True(cosines[0] > 0.95, $"lowest cosine int8 vs fp32: {cosines[0]}");
        Assert.True(cosines[cosines.Count / 2] > 0.99, $"median cosine int8 vs fp32: {cosines[cosines.Count / 2]}");

        var fp32 = fixture.Fp32HeadOnComparison;
        var quantized = ResNetCache.TrainAndEvaluate(tmp.Sub("int8"));
        Assert.Equal(400, quantized.Images);
        Assert.InRange(quantized.Accuracy, fp32.AccuracyLow, fp32.AccuracyHigh);
    }

    /// <summary>An fp32 cache is never extended with int8 rows: the quantized file's hash is another feature space.</summary>
    [Fact]
    public void Int8RowsOnAnFp32CacheAreRefused()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 2);
        var options = new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } };
        FeatureExtractor.Run(options);
        var e = Assert.Throws<FeatureSpaceMismatchException>(() => FeatureExtractor.Run(options with { Backbone = new BackboneSpec { Backbone = quantizedModel.File, Device = DeviceRequest.Cpu } }));
        Assert.Equal(ExitCode.CacheMismatch, Reported.Of(e).Code);
    }

    /// <summary>
    /// A head on int8 features, predicted and exported: the exported file (uint8 pixels in, QDQ backbone inside) runs in
    /// ONNX Runtime and gives predict's probabilities to 1e-3 (the graph's float preprocessing may round a pixel to the
    /// next uint8 level where the host's did not), and predict without --backbone names the file it needs.
    /// </summary>
    [Fact]
    public void HeadOnInt8FeaturesPredictsAndExports()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Backbone = quantizedModel.File, Device = DeviceRequest.Cpu } });
        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 4, Device = DeviceRequest.Cpu });
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest, quantizedModel.File), onnx);

        var (files, pixels) = ClassifierExportTests.TestPhotosAt(tmp, 6);
        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, quantizedModel.File, device: DeviceRequest.Cpu));
        var (expected, skipped) = predictor.Probabilities(files);
        Assert.All(skipped, s => Assert.Null(s));
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [6, 224, 224, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        double worst = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-3, $"largest probability difference export vs predict: {worst}");

        var e = Assert.Throws<InvalidSettingException>(() => HeadBackbone.Spec(head.Manifest));
        Assert.Contains("resnet18-int8.onnx", e.Message);
    }

    /// <summary>
    /// The synthetic VGG16 (random weights, at 64×64 to keep it quick) quantizes too: 13 convolutions, all integer
    /// kernels, and five max-pools left on uint8 (they share their input's scale); extract takes it with no flag.
    /// </summary>
    [Fact]
    public void SyntheticVgg16QuantizesWithEveryConvolutionInteger()
    {
        using var tmp = new TempDir();
        string vgg = tmp.Sub("vgg16.onnx");
        SynthModels.Save(SynthModels.Vgg16(seed: 2, size: 64), vgg);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 4);
        var report = Int8Quantizer.Run(new QuantizeOptions
        {
            Backbone = new BackboneSpec { Backbone = vgg, Preprocess = PreprocessMode.Torch, Device = DeviceRequest.Cpu },
            Calibration = data, Output = tmp.Sub("vgg16-int8.onnx"), Images = 6, Holdout = 2,
        });
        Assert.Equal(13, report.WeightedOps);
        Assert.Equal(13, report.IntegerKernels);
        Assert.Equal(13, report.DroppedActivations);
        var r = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", tmp.Sub("vgg16-int8.onnx"), "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("synthetic", r.Stderr);
    }

    /// <summary>
    /// bench --profile on the int8 file: ONNX Runtime's profile is written, and its per-operator summary shows the
    /// convolutions running as QLinearConv kernels, no float Conv among them.
    /// </summary>
    [Fact]
    public void BenchProfileShowsWhereInt8TimeGoes()
    {
        using var tmp = new TempDir();
        var r = CliProcess.Run("bench", "--data", Path.Combine(TestPaths.CatsVsDogs, "test"), "--images", "8", "--rounds", "1", "--batch", "4",
            "--backbone", quantizedModel.File, "--device", "cpu", "--profile", tmp.Sub("profile"), "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(System.IO.File.Exists(tmp.Sub("profile/ort-profile.json")));
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var ops = json.RootElement.GetProperty("operators").EnumerateArray().Select(o => o.GetProperty("op").GetString()).ToList();
        Assert.Contains("QLinearConv", ops);
        Assert.DoesNotContain("Conv", ops);
        Assert.DoesNotContain("FusedConv", ops);
    }

    /// <summary>
    /// A model that quantizing costs accuracy: one channel of the tiny CNN's second convolution made 300 times larger (and
    /// ignored by the third), so one uint8 scale for that map leaves the 15 channels the third convolution reads a level or
    /// two. The quantizer finds the convolution that reads the map, leaves it in float and says so (ONNX Runtime then runs
    /// the one that writes the map in float too); the features get closer to fp32's than with everything quantized.
    /// </summary>
    [Fact]
    public void ANodeWhoseQuantizationCostsAccuracyIsLeftInFloatAndNamed()
    {
        using var tmp = new TempDir();
        var model = SynthModels.TinyCnn(seed: 11);
        foreach (var name in new[] { "c2_W", "c2_B" })
        {
            var t = model.Graph.Initializer.Single(x => x.Name == name);
            var values = OnnxGraph.ToFloats(t);
            int perChannel = values.Length / 16;
            for (int i = 0; i < perChannel; i++)
            {
                values[i] = name == "c2_B" ? 300f : values[i] * 300f;
            }

            t.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }

        // The third convolution ignores that channel: what it reads is the 15 others, which the shared scale crushes.
        var c3 = model.Graph.Initializer.Single(x => x.Name == "c3_W");
        var w3 = OnnxGraph.ToFloats(c3);
        for (int o = 0; o < 32; o++)
        {
            Array.Clear(w3, o * 16 * 9, 9);
        }

        c3.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w3.AsSpan()));
        string source = tmp.Sub("outlier.onnx");
        SynthModels.Save(model, source);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 12);
        var spec = new BackboneSpec { Backbone = source, Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu };
        var all = Int8Quantizer.Run(new QuantizeOptions { Backbone = spec, Calibration = data, Output = tmp.Sub("all.onnx"), Images = 12, Holdout = 12 }
            with
        { KeepFloatSearch = false });
        var searched = Int8Quantizer.Run(new QuantizeOptions { Backbone = spec, Calibration = data, Output = tmp.Sub("q.onnx"), Images = 12, Holdout = 12 });
        Assert.True(all.MedianCosine < 0.99, $"with every node quantized the median cosine is {all.MedianCosine}");
        Assert.Equal(["c3"], searched.KeptFloat);
        Assert.True(searched.MedianCosine > all.MedianCosine + 0.002, $"median cosine {all.MedianCosine} -> {searched.MedianCosine}");
        Assert.Contains("left in float", searched.Description);
        Assert.Contains("c3", PipelineMetadata.Read(OnnxGraph.Load(tmp.Sub("q.onnx")), "q.onnx").Quantization);
        // c3 in float, and c2 too: what it writes is read by float ops only now, so it has no integer kernel to feed.
        Assert.Equal((3, 1, 2), (searched.WeightedOps, searched.IntegerKernels, searched.FloatWeightedOps.Count));
    }

    /// <summary>A calibration folder without images is one line naming it, with the data-layout exit code; no file is written.</summary>
    [Fact]
    public void CalibrationWithoutImagesIsOneLineAndWritesNothing()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.Sub("empty/cat"));
        System.IO.File.WriteAllText(tmp.Sub("empty/cat/notes.txt"), "not an image");
        var r = CliProcess.Run("models", "quantize", "--calibration", tmp.Sub("empty"), "--out", tmp.Sub("q.onnx"), "--images", "4");
        Assert.Equal((int)ExitCode.BadDataLayout, r.ExitCode);
        Assert.Contains(tmp.Sub("empty"), r.Stderr);
        Assert.StartsWith("error:", r.Stderr.Trim());
        Assert.False(System.IO.File.Exists(tmp.Sub("q.onnx")));
    }
}
