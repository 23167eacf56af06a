using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Surgery;

public sealed class OnnxToolsTests
{
    private static string ResNet18File => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Cut the real ResNet18 mid-network: its output equals that tensor inside the full model.</summary>
    [Fact]
    public void CutModelOutputEqualsTheFullModelsIntermediateTensor()
    {
        using var tmp = new TempDir();
        var full = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(ResNet18File));
        string mid = full.Graph.Node[full.Graph.Node.Count / 2].Output[0];
        var (kept, dropped) = OnnxTools.Cut(ResNet18File, mid, tmp.Sub("cut.onnx"));
        Assert.True(kept > 0 && dropped > 0);

        // The full model with the same tensor exposed as a second output.
        var info = full.Graph.ValueInfo.Single(v => v.Name == mid);
        full.Graph.Output.Add(info.Clone());
        File.WriteAllBytes(tmp.Sub("full.onnx"), full.ToByteArray());

        var input = new float[3 * 224 * 224];
        var rng = new Random(3);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)(rng.NextDouble() * 255 - 120);
        }

        float[] Run(string file, string output)
        {
            using var session = new InferenceSession(file);
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
            using var results = session.Run(new RunOptions(), [session.InputNames[0]], [value], [output]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }

        var fromCut = Run(tmp.Sub("cut.onnx"), mid);
        var fromFull = Run(tmp.Sub("full.onnx"), mid);
        Assert.Equal(fromFull.Length, fromCut.Length);
        double worst = fromCut.Zip(fromFull, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst == 0, $"largest difference cut vs full at {mid}: {worst}");
    }

    [Fact]
    public void CutAtAMissingTensorListsTheNearestNames()
    {
        using var tmp = new TempDir();
        var e = Assert.ThrowsAny<PipelineException>(() => OnnxTools.Cut(ResNet18File, "Pooling395_Output", tmp.Sub("x.onnx")));
        Assert.Equal(ExitCode.BadModel, Reported.Of(e).Code);
        Assert.Contains("nearest: Pooling395_Output_0", e.Message);
    }

    [Fact]
    public void SyntheticVgg16HasVgg16sTopologyShapesAndFlops()
    {
        var model = SynthModels.Vgg16(seed: 1);
        var g = model.Graph;
        Assert.Equal(13, g.Node.Count(n => n.OpType == "Conv"));
        Assert.Equal(5, g.Node.Count(n => n.OpType == "MaxPool"));
        Assert.Equal(14_714_688, g.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b)));
        Assert.InRange(OnnxFlops.Gflops(model, "data", [1, 3, 224, 224]), 30.6, 30.8);
        Assert.True(OnnxGraph.IsSynthetic(model));
        Assert.True(SynthModels.Vgg16(seed: 1).ToByteArray().AsSpan().SequenceEqual(model.ToByteArray()), "same seed, same bytes");
    }

    [Fact]
    public void PackagedResNet18IsCountedAt4Point1Gflops()
    {
        var model = OnnxGraph.Parse(File.ReadAllBytes(ResNet18File), ResNet18File);
        Assert.InRange(OnnxFlops.Gflops(model, "Input247", [1, 3, 224, 224]), 4.0, 4.2);
    }

    /// <summary>
    /// The vgg16 preset runs a synthetic conv base, and a full VGG16-shaped classifier with the same
    /// conv weights cut at pool5 by itself: identical features. The cache says it is synthetic.
    /// </summary>
    [Fact]
    public void Vgg16PresetOnConvBaseAndOnCutClassifierGivesIdenticalFeatures()
    {
        using var tmp = new TempDir();
        SynthModels.Save(SynthModels.Vgg16(seed: 5), tmp.Sub("base.onnx"));
        SynthModels.Save(SynthModels.Vgg16(seed: 5, withClassifier: true), tmp.Sub("full.onnx"));
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);

        var a = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("a"), "--backbone", "vgg16", "--model", tmp.Sub("base.onnx"), "--device", "cpu", "--batch", "4");
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Contains("synthetic model with random weights", a.Stderr);
        var b = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("b"), "--backbone", "vgg16", "--model", tmp.Sub("full.onnx"), "--device", "cpu", "--batch", "4");
        Assert.True(b.ExitCode == 0, b.Stderr);

        using var ca = FeatureCache.Open(tmp.Sub("a"));
        using var cb = FeatureCache.Open(tmp.Sub("b"));
        Assert.Equal([512, 7, 7], ca.Manifest.Features.Shape);
        Assert.Equal(25_088, ca.FeatureLength);
        Assert.True(ca.Manifest.Backbone.Synthetic);
        Assert.Equal("pool5", cb.Manifest.Backbone.FeatureTensor);
        Assert.True(File.ReadAllBytes(tmp.Sub("a", "features.npy")).AsSpan().SequenceEqual(File.ReadAllBytes(tmp.Sub("b", "features.npy"))));
        var row = new float[ca.FeatureLength];
        ca.ReadRow(0, row);
        Assert.True(row.Max() > 0 && row.All(float.IsFinite));
    }

    [Fact]
    public void TinySyntheticCnnRunsAsACustomBackbone()
    {
        using var tmp = new TempDir();
        SynthModels.Save(SynthModels.TinyCnn(seed: 2), tmp.Sub("tiny.onnx"));
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 3);
        var report = FeatureExtractor.Run(new ExtractionOptions
        {
            Data = data, Out = tmp.Sub("cache"), Batch = 4,
            Backbone = new BackboneSpec { Backbone = tmp.Sub("tiny.onnx"), Preprocess = PreprocessMode.ImageNet, Device = DeviceRequest.Cpu },
        });
        Assert.Equal(6, report.Computed);
        Assert.Equal([32, 1, 1], FeatureCache.ReadManifest(tmp.Sub("cache")).Features.Shape);
        Assert.Equal(64, FeatureCache.ReadManifest(tmp.Sub("cache")).Preprocessing.Width);

        var noPreprocess = Assert.ThrowsAny<PipelineException>(() => Backbone.Load(new BackboneSpec { Backbone = tmp.Sub("tiny.onnx"), Device = DeviceRequest.Cpu }));
        Assert.Contains("--preprocess", Reported.Of(noPreprocess).Hint);
    }
}
