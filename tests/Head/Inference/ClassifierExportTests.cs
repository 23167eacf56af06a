using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Inference;

[Collection(ResNetCollection.Name)]
public sealed class ClassifierExportTests(ResNetCache fixture)
{
    /// <summary>
    /// The exported file, run by ONNX Runtime on raw uint8 pixels, gives predict's probabilities to
    /// 1e-4 on shared test photos (resized to 224×224 PNGs first: the export's input contract), and
    /// Debian's onnx checker accepts it.
    /// </summary>
    [Fact]
    public void ExportedClassifierMatchesPredictAndPassesTheOnnxChecker()
    {
        using var tmp = new TempDir();
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var head = HeadTrainer.Train(train, null, new HeadOptions { Epochs = 4, Device = DeviceRequest.Cpu });
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest), onnx);

        var (files, pixels) = TestPhotosAt(tmp, 12);

        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, device: DeviceRequest.Cpu));
        var (expected, skipped) = predictor.Probabilities(files);
        Assert.All(skipped, s => Assert.Null(s));

        using var session = new InferenceSession(onnx);
        Assert.Equal(["cat", "dog"], JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["classes"])!);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [12, 224, 224, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        double worst = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest probability difference export vs predict: {worst}");

        var check = Python.Run("""
            import sys, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m)
            print("ok", m.graph.input[0].name, m.graph.output[0].name)
            """, onnx);
        Assert.True(check.ExitCode == 0, check.Stderr);
        Assert.Equal("ok image probabilities", check.Stdout.Trim());

        // Another runtime: onnxruntime-node on the same pixels.
        File.WriteAllBytes(tmp.Sub("pixels.u8"), pixels);
        var node = OrtNode.Probabilities(onnx, tmp.Sub("pixels.u8"), 12, 224, 224);
        Assert.True(node.ExitCode == 0, node.Stderr);
        var fromNode = JsonSerializer.Deserialize<float[]>(node.Stdout)!;
        double worstNode = fromNode.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worstNode < 1e-4, $"largest probability difference onnxruntime-node vs predict: {worstNode}");

        // A runtime that is not ONNX Runtime at all: OpenCV's DNN module (Debian's python3-opencv 4.6).
        var fromOpenCv = OpenCvProbabilities(onnx, tmp.Sub("pixels.u8"), 12, 224, 224);
        double worstCv = fromOpenCv.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worstCv < 1e-3, $"largest probability difference OpenCV DNN vs predict: {worstCv}");
    }

    /// <summary>
    /// A BGR backbone (caffe preprocessing: channel swap and mean subtraction, as Keras' VGG16 expects):
    /// the swap is built from Split and Concat, which OpenCV's DNN loads (it refuses Gather), and OpenCV,
    /// ONNX Runtime and predict agree on the probabilities.
    /// </summary>
    [Fact]
    public void BgrBackboneExportRunsInOpenCvAndOnnxRuntimeAlike()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 4);
        string tiny = tmp.Sub("tiny.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 3), tiny);
        var spec = new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu };
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = spec });
        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu });
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest, tiny), onnx);

        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Gather");
        Assert.Contains(model.Graph.Node, n => n.OpType == "Split");

        const int n = 4, size = 64;
        var (files, pixels) = TestPhotosAt(tmp, n, size);

        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, tiny, device: DeviceRequest.Cpu));
        var (expected, _) = predictor.Probabilities(files);
        File.WriteAllBytes(tmp.Sub("pixels.u8"), pixels);
        var fromOpenCv = OpenCvProbabilities(onnx, tmp.Sub("pixels.u8"), n, size, size);
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [n, size, size, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var fromOrt = results[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.True(fromOrt.Zip(expected, (a, b) => Math.Abs(a - b)).Max() < 1e-4, "ONNX Runtime vs predict");
        Assert.True(fromOpenCv.Zip(expected, (a, b) => Math.Abs(a - b)).Max() < 1e-3, "OpenCV DNN vs predict");
    }

    /// <summary>
    /// <paramref name="n"/> test photos, cats and dogs alternating, as <paramref name="size"/>² PNGs (so predict's resize is
    /// the identity and every runtime sees the same pixels) and as one (n, size, size, 3) uint8 RGB buffer.
    /// </summary>
    internal static (List<string> Files, byte[] Pixels) TestPhotosAt(TempDir tmp, int n, int size = 224)
    {
        var files = new List<string>();
        var pixels = new byte[n * size * size * 3];
        for (int i = 0; i < n; i++)
        {
            string cls = i % 2 == 0 ? "cat" : "dog";
            string png = BadImages.Reencode(TestPaths.Photo("test", cls, 4001 + i), tmp.Sub($"{cls}{i}-{size}.png"), "PNG", size, size);
            files.Add(png);
            var image = BadImages.DecodeFull(png);
            for (int p = 0; p < size * size; p++)
            {
                image.Pixels.Slice(p * 4, 3).CopyTo(pixels.AsSpan((i * size * size * 3) + (p * 3), 3));
            }
        }

        return (files, pixels);
    }

    internal static float[] OpenCvProbabilities(string onnx, string pixels, int n, int h, int w)
    {
        var r = Python.Run("""
            import sys, json, numpy as np, cv2
            net = cv2.dnn.readNetFromONNX(sys.argv[1])
            n, h, w = map(int, sys.argv[3:6])
            net.setInput(np.fromfile(sys.argv[2], dtype=np.uint8).reshape(n, h, w, 3))
            print(json.dumps(net.forward().astype(float).ravel().tolist()))
            """, onnx, pixels, $"{n}", $"{h}", $"{w}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonSerializer.Deserialize<float[]>(r.Stdout)!;
    }

    /// <summary>
    /// Every precision end to end: features extracted in fp16 (and tf32, which the CPU computes in fp32) train a
    /// head that predicts and exports; OpenCV's DNN runs the exported file on 20 test photos and agrees with
    /// predict (the export computes in fp32, so within 1e-2 in probability, and the same class).
    /// </summary>
    [Theory]
    [InlineData(Precision.Fp16)]
    [InlineData(Precision.Tf32)]
    public void HeadOnReducedPrecisionFeaturesPredictsAndExports(Precision precision)
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 12);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu, Precision = precision } });
        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        using var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 5, Device = DeviceRequest.Cpu });
        Assert.Equal(precision, head.Manifest.Backbone.Precision);
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest), onnx);

        const int n = 20;
        var (files, pixels) = TestPhotosAt(tmp, n);

        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, device: DeviceRequest.Cpu));
        var (expected, skipped) = predictor.Probabilities(files);
        Assert.All(skipped, s => Assert.Null(s));
        File.WriteAllBytes(tmp.Sub("pixels.u8"), pixels);
        var fromOpenCv = OpenCvProbabilities(onnx, tmp.Sub("pixels.u8"), n, 224, 224);
        double worst = fromOpenCv.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-2, $"largest probability difference OpenCV DNN (fp32 export) vs predict ({precision}): {worst}");
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[2 * i] > expected[(2 * i) + 1], fromOpenCv[2 * i] > fromOpenCv[(2 * i) + 1]);
        }
    }
}
