using Microsoft.ML.OnnxRuntime;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Onnx;

/// <summary>
/// Models as users bring them, with the operators and endings of real ones (MobileNetV2: ReLU6 as Clip, depthwise
/// convolutions, a 1×1 Conv classifier after the pool; SqueezeNet 1.1: fire modules, the classifier conv on the map
/// itself with no pool before it). Made by <c>models synth</c> with random weights at toy width, so every number here
/// is about the plumbing, never accuracy.
/// </summary>
public sealed class RealShapeModelTests
{
    /// <summary>
    /// MobileNet-like, the whole way: models info lists its cuts (the last feature map out_relu, the pool, with shapes);
    /// extract on the full classifier picks out_relu itself, says so, and gives the same rows as the model cut there with
    /// --preprocess tf --pool avg (which then needs no flag); a head trained on them predicts, and its export runs in
    /// ONNX Runtime with predict's probabilities; the cut model quantizes to int8 with every convolution, depthwise ones
    /// included, an integer kernel and every ReLU6 folded into the uint8 ranges.
    /// </summary>
    [Fact]
    public void MobileNetLikeRoundTripsThroughCutExtractTrainPredictExportAndInt8()
    {
        using var tmp = new TempDir();
        string full = tmp.Sub("mobilenet.onnx"), cut = tmp.Sub("mobilenet-base.onnx");
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);
        Ok(CliProcess.Run("models", "synth", "mobilenet-like", "--out", full, "--seed", "3"));

        var info = Ok(CliProcess.Run("models", "info", full));
        Assert.Matches(@"last feature map\s+out_relu\s+\(64x16x16;", info.Stdout);
        Assert.Matches(@"global pool\s+global_pool\s+\(64x1x1;", info.Stdout);
        Assert.Contains("1x1 Conv classifier 'classifier_conv'", info.Stdout);

        Ok(CliProcess.Run("models", "cut", "--in", full, "--at", "out_relu", "--out", cut, "--preprocess", "tf", "--pool", "avg"));
        Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cut-cache"), "--backbone", cut, "--device", "cpu"));
        var whole = Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("full-cache"), "--backbone", full, "--preprocess", "tf", "--device", "cpu"));
        Assert.Contains("reading the last feature map before it, 'out_relu'", whole.Stderr);
        Assert.Contains("global average pooling gives 64 features", whole.Stderr);
        using (var a = FeatureCache.Open(tmp.Sub("cut-cache")))
        using (var b = FeatureCache.Open(tmp.Sub("full-cache")))
        {
            Assert.Equal(64, a.FeatureLength);
            Assert.Equal(a.Count, b.Count);
            var (ra, rb) = (new float[64], new float[64]);
            for (int r = 0; r < a.Count; r++)
            {
                a.ReadRow(r, ra);
                b.ReadRow(r, rb);
                Assert.Equal(ra, rb);
            }
        }

        using var cache = FeatureCache.Open(tmp.Sub("cut-cache"));
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu });
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest, cut), onnx);
        AssertExportMatchesPredict(tmp, head, cut, onnx, 64);

        var quantize = Ok(CliProcess.Run("models", "quantize", "--backbone", cut, "--calibration", data, "--out", tmp.Sub("int8.onnx"), "--images", "8"));
        Assert.Contains("runs 7 of 7 convolutions and matrix products as integer kernels", quantize.Stdout);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(tmp.Sub("int8.onnx")));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Clip");
        Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("int8-cache"), "--backbone", tmp.Sub("int8.onnx"), "--device", "cpu"));
    }

    /// <summary>
    /// SqueezeNet-like: its classifier conv reads the fire modules' map directly, so info says there is no pool between;
    /// extract on the full model picks that map and pools it (32 features, not the 8,192 flattened ones, which --pool
    /// flatten still gives); the cut and pooled model exports and matches predict.
    /// </summary>
    [Fact]
    public void SqueezeNetLikeIsCutAtItsMapAndPooled()
    {
        using var tmp = new TempDir();
        string full = tmp.Sub("squeezenet.onnx");
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 4);
        Ok(CliProcess.Run("models", "synth", "squeezenet-like", "--out", full, "--seed", "4"));
        var info = Ok(CliProcess.Run("models", "info", full));
        Assert.Matches(@"last feature map\s+fire3_concat\s+\(32x16x16; read by the 1x1 Conv classifier 'conv10' \(10x32x1x1\) directly: no pool between", info.Stdout);

        var pooled = Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("avg"), "--backbone", full, "--preprocess", "torch", "--device", "cpu"));
        Assert.Contains("'fire3_concat'", pooled.Stderr);
        Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("flat"), "--backbone", full, "--preprocess", "torch", "--pool", "flatten", "--device", "cpu"));
        using (var avg = FeatureCache.Open(tmp.Sub("avg")))
        using (var flat = FeatureCache.Open(tmp.Sub("flat")))
        {
            Assert.Equal(32, avg.FeatureLength);
            Assert.Equal(32 * 16 * 16, flat.FeatureLength);
        }

        using var cache = FeatureCache.Open(tmp.Sub("avg"));
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu });
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest, full), onnx);
        AssertExportMatchesPredict(tmp, head, full, onnx, 64);
    }

    /// <summary>
    /// A Keras model as tf2onnx writes it (channels-last input and last map, ReduceMean as the pool, a MatMul classifier
    /// whose weight is a Constant node): extract on the full file finds the channels-last map and pools it over its
    /// height and width, so each of the 24 features is the mean of one channel of the flattened map, to 1e-5.
    /// </summary>
    [Fact]
    public void KerasLikeChannelsLastMapIsPooledOverItsHeightAndWidth()
    {
        using var tmp = new TempDir();
        string full = tmp.Sub("keras.onnx");
        Pipeline.Tooling.SynthModels.Save(Pipeline.Tooling.SynthModels.KerasLike(seed: 5), full);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 2);
        var info = Ok(CliProcess.Run("models", "info", full));
        Assert.Matches(@"last feature map\s+out_relu\s+\(16x16x24; the map ReduceMean", info.Stdout);
        Assert.Contains("MatMul classifier 'predictions_matmul' (24x10)", info.Stdout);

        var avg = Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("avg"), "--backbone", full, "--preprocess", "tf", "--device", "cpu"));
        Assert.Contains("'out_relu'", avg.Stderr);
        Assert.Contains("global average pooling gives 24 features", avg.Stderr);
        Ok(CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("flat"), "--backbone", full, "--preprocess", "tf", "--pool", "flatten", "--device", "cpu"));
        using var pooled = FeatureCache.Open(tmp.Sub("avg"));
        using var flat = FeatureCache.Open(tmp.Sub("flat"));
        Assert.Equal(24, pooled.FeatureLength);
        Assert.Equal(16 * 16 * 24, flat.FeatureLength);
        var (p, f) = (new float[24], new float[16 * 16 * 24]);
        for (int r = 0; r < pooled.Count; r++)
        {
            pooled.ReadRow(r, p);
            flat.ReadRow(r, f);
            for (int c = 0; c < 24; c++)
            {
                double mean = Enumerable.Range(0, 16 * 16).Average(i => f[(i * 24) + c]);
                Assert.True(Math.Abs(mean - p[c]) < 1e-5, $"row {r} channel {c}: mean of the map {mean}, pooled {p[c]}");
            }
        }
    }

    /// <summary>
    /// The ending of torchvision's ResNets and MobileNetV2 (GlobalAveragePool, Flatten, Gemm), of VGG16 (Flatten of pool5,
    /// three Gemms) and of a conv base: the last feature map is the map before the pool or the Flatten, never the pooled vector.
    /// </summary>
    [Fact]
    public void CutPointsOfTheCommonEndings()
    {
        var resnetLike = CutPoints.Find(Pipeline.Tooling.SynthModels.TinyCnn(seed: 1, withClassifier: true));
        Assert.Equal([CutKind.LastFeatureMap, CutKind.GlobalPool], resnetLike.Select(c => c.Kind));
        Assert.Equal("relu3", resnetLike[0].Tensor);
        Assert.Equal("features", resnetLike[1].Tensor);
        Assert.Contains("read by the Gemm classifier 'fc' (10x32)", resnetLike[1].Note);

        var vgg = CutPoints.Find(Pipeline.Tooling.SynthModels.Vgg16(seed: 1, withClassifier: true, size: 32));
        Assert.Equal(("pool5", "relu15"), (vgg[0].Tensor, vgg.Single(c => c.Kind == CutKind.Penultimate).Tensor));

        var convBase = CutPoints.Find(Pipeline.Tooling.SynthModels.TinyCnn(seed: 1));
        Assert.Null(CutPoints.Classifier(Pipeline.Tooling.SynthModels.TinyCnn(seed: 1)));
        Assert.Equal(("relu3", "features"), (convBase[0].Tensor, convBase[1].Tensor));
    }

    private static CliProcess.Result Ok(CliProcess.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        return r;
    }

    private static void AssertExportMatchesPredict(TempDir tmp, TrainedHead head, string backbone, string onnx, int size)
    {
        const int n = 4;
        var (files, pixels) = Pipeline.Tests.Head.Inference.ClassifierExportTests.TestPhotosAt(tmp, n, size);
        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, backbone, device: DeviceRequest.Cpu));
        var (expected, skipped) = predictor.Probabilities(files);
        Assert.All(skipped, s => Assert.Null(s));
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [n, size, size, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.True(actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max() < 1e-4, "export vs predict");
    }
}
