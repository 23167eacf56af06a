using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Pipeline.Tests.Head.Inference;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Onnx;

/// <summary>Models as real exporters write them: Constant nodes (torch.onnx, tf2onnx) and vision transformers.</summary>
public sealed class TransformerTests
{
    /// <summary>
    /// A ReLU6 Clip whose bounds come from Constant nodes (as torch.onnx writes it; onnx.checker accepts it) used to crash
    /// extract, bench and models info reading the Constant node's missing first input: each now runs, and models info
    /// gives the convolution's FLOPs (8 × 16 × 16 outputs × 27 multiply-adds × 2).
    /// </summary>
    [Fact]
    public void ConstantNodesRunThroughExtractBenchAndModelsInfo()
    {
        using var tmp = new TempDir();
        string model = tmp.Sub("relu6.onnx");
        File.WriteAllBytes(model, Relu6WithConstantBounds().ToByteArray());
        var check = Python.Run("import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')", model);
        Assert.True(check.ExitCode == 0, check.Stderr);

        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 3);
        var info = CliProcess.Run("models", "info", model);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains($"{2.0 * 8 * 16 * 16 * 27 / 1e9:F2} GFLOPs/image", info.Stdout);

        var extract = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", model, "--preprocess", "unit", "--device", "cpu", "--quiet");
        Assert.True(extract.ExitCode == 0, extract.Stderr);
        using (var cache = FeatureCache.Open(tmp.Sub("cache")))
        {
            Assert.Equal(8, cache.FeatureLength);
        }

        var bench = CliProcess.Run("bench", "--data", data, "--backbone", model, "--preprocess", "unit", "--device", "cpu", "--images", "4");
        Assert.True(bench.ExitCode == 0, bench.Stderr);
    }

    /// <summary>An operator the FLOP counter does not know, or a Constant it cannot read, gives NaN: never a throw.</summary>
    [Fact]
    public void UnknownOperatorsGiveNaNFlopsNotAnException()
    {
        var model = Relu6WithConstantBounds();
        model.Graph.Node.Insert(3, new NodeProto { OpType = "Hardmax", Name = "odd", Input = { "conv" }, Output = { "odd" } });
        model.Graph.Node[4].Input[0] = "odd";
        Assert.True(double.IsNaN(OnnxFlops.Gflops(model, "input", [1, 3, 32, 32])));

        var sparse = Relu6WithConstantBounds();
        sparse.Graph.Node[0].Attribute.Clear();
        sparse.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "sparse_value", Type = AttributeProto.Types.AttributeType.SparseTensor });
        Assert.True(double.IsNaN(OnnxFlops.Gflops(sparse, "input", [1, 3, 32, 32])));
    }

    /// <summary>
    /// The synthetic ViT's FLOPs are its matrix products exactly: the patch Conv, per block 4 D×D projections, the
    /// attention's two (T×T×D) products and the MLP's two D×2D layers, and the pooler, for T = 17, D = 32.
    /// models info lists its token sequence and its pooled output as cut points.
    /// </summary>
    [Fact]
    public void VitFlopsAndCutPointsFollowItsTokens()
    {
        var vit = SynthModels.Vit(seed: 1);
        const long T = 17, D = 32, P = 16;
        long perBlock = (4 * T * D * D) + (2 * T * T * D) + (2 * T * D * 2 * D);
        long macs = (P * D * 3 * 16 * 16) + (2 * perBlock) + (D * D);
        Assert.Equal(2.0 * macs / 1e9, OnnxFlops.Gflops(vit, SynthModels.VitInput, [1, 3, 64, 64]), 12);

        var cuts = CutPoints.Find(vit);
        Assert.Equal([(CutKind.TokenSequence, SynthModels.VitTokens), (CutKind.Embedding, SynthModels.VitPooled)], cuts.Select(c => (c.Kind, c.Tensor)));
    }

    /// <summary>
    /// The ViT through the CLI: extract defaults to the class token (and says so), --pool mean averages the tokens, avg
    /// is refused by name; a head trains, predicts, and exports a file that ONNX Runtime runs to predict's
    /// probabilities. OpenCV's DNN (Debian's 4.6) cannot load it (no LayerNormalization importer), which the test asserts.
    /// </summary>
    [Fact]
    public void VitExtractsTrainsPredictsAndExports()
    {
        using var tmp = new TempDir();
        string model = tmp.Sub("vit.onnx");
        Assert.Equal(0, CliProcess.Run("models", "synth", "vit", "--out", model, "--seed", "1").ExitCode);
        var check = Python.Run("import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')", model);
        Assert.True(check.ExitCode == 0, check.Stderr);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);

        var extract = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", model, "--device", "cpu");
        Assert.True(extract.ExitCode == 0, extract.Stderr);
        Assert.Contains("17x32 token sequence", extract.Stdout + extract.Stderr);
        using (var cache = FeatureCache.Open(tmp.Sub("cache")))
        {
            Assert.Equal(32, cache.FeatureLength);
            Assert.Equal(Pipeline.Pooling.Cls, cache.Manifest.Space.Backbone.Pool);
        }

        var mean = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("mean"), "--backbone", model, "--device", "cpu", "--pool", "mean", "--quiet");
        Assert.True(mean.ExitCode == 0, mean.Stderr);
        var avg = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("avg"), "--backbone", model, "--device", "cpu", "--pool", "avg", "--quiet");
        Assert.NotEqual(0, avg.ExitCode);
        Assert.Contains("cls or mean for a token sequence", avg.Stderr);

        var train = CliProcess.Run("train", "--cache", tmp.Sub("cache"), "--out", tmp.Sub("head"), "--epochs", "3", "--folds", "2", "--head-device", "cpu");
        Assert.True(train.ExitCode == 0, train.Stderr);

        var (files, pixels) = ClassifierExportTests.TestPhotosAt(tmp, 4, 64);
        var predict = CliProcess.Run(["predict", "--head", tmp.Sub("head"), "--backbone", model, "--device", "cpu", "--top", "2", "--json", .. files]);
        Assert.True(predict.ExitCode == 0, predict.Stderr);

        string onnx = tmp.Sub("classifier.onnx");
        var export = CliProcess.Run("export", "--head", tmp.Sub("head"), "--backbone", model, "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        using var session = new InferenceSession(onnx);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [4, 64, 64, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var fromOrt = results[0].GetTensorDataAsSpan<float>().ToArray();
        var expected = PredictedProbabilities(predict.Stdout, files);
        double worst = fromOrt.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest probability difference export (ONNX Runtime) vs predict: {worst}");

        // OpenCV's DNN (Debian's 4.6) refuses it twice over: first the class token's Gather, whose axis 0 this tool's
        // protobuf writer leaves implicit (ONNX's default; OpenCV 4.6 wants every int attribute present), then, with
        // that attribute written out, LayerNormalization, for which OpenCV 4.6 has no importer.
        var cv = Python.Run("""
            import sys, cv2, onnx
            def load(path):
                try:
                    cv2.dnn.readNetFromONNX(path); return "loaded"
                except cv2.error as e:
                    return "refused " + str(e).replace("\n", " ")
            print(load(sys.argv[1]))
            m = onnx.load(sys.argv[1])
            for n in m.graph.node:
                for a in n.attribute:
                    if a.type == onnx.AttributeProto.INT and not a.HasField("i"):
                        a.i = 0
            onnx.save(m, sys.argv[2])
            print(load(sys.argv[2]))
            """, onnx, tmp.Sub("explicit-zeros.onnx"));
        Assert.True(cv.ExitCode == 0, cv.Stderr);
        var lines = cv.Stdout.Trim().Split('\n');
        Assert.StartsWith("refused", lines[0]);
        Assert.Contains("Gather", lines[0]);
        Assert.StartsWith("refused", lines[1]);
        Assert.Contains("LayerNormalization", lines[1]);
    }

    /// <summary>Each file's probabilities of cat, then dog, from predict --top 2 --json.</summary>
    internal static float[] PredictedProbabilities(string json, List<string> files)
    {
        using var doc = JsonDocument.Parse(json);
        var byFile = new Dictionary<string, JsonElement>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            byFile[item.GetProperty("file").GetString()!] = item;
        }

        return files.SelectMany(f =>
        {
            var top = byFile[f].GetProperty("top").EnumerateArray().ToDictionary(t => t.GetProperty("class").GetString()!, t => t.GetProperty("probability").GetSingle());
            return new[] { top["cat"], top["dog"] };
        }).ToArray();
    }

    /// <summary>
    /// input (N, 3, 32, 32) → Conv 3×3 stride 2 (8 channels) → Clip(Constant 0, Constant 6) → GlobalAveragePool
    /// (N, 8, 1, 1), opset 17: a torch.onnx export of Conv2d + ReLU6.
    /// </summary>
    internal static ModelProto Relu6WithConstantBounds()
    {
        var g = new GraphProto { Name = "relu6" };
        g.Input.Add(OnnxBuilder.Value("input", TensorProto.Types.DataType.Float, ["N", 3, 32, 32]));
        var random = new Random(5);
        g.Initializer.Add(OnnxBuilder.FloatTensor("W", Enumerable.Range(0, 8 * 27).Select(_ => (random.NextSingle() - 0.5f) * 0.4f).ToArray(), [8, 3, 3, 3]));
        OnnxBuilder.Node(g.Node, "Constant", [], "lo", ("value", OnnxBuilder.FloatTensor("lo", [0f], [])));
        OnnxBuilder.Node(g.Node, "Constant", [], "hi", ("value", OnnxBuilder.FloatTensor("hi", [6f], [])));
        OnnxBuilder.Node(g.Node, "Conv", ["input", "W"], "conv", ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 }));
        OnnxBuilder.Node(g.Node, "Clip", ["conv", "lo", "hi"], "relu6");
        OnnxBuilder.Node(g.Node, "GlobalAveragePool", ["relu6"], "features");
        g.Output.Add(OnnxBuilder.Value("features", TensorProto.Types.DataType.Float, ["N", 8, 1, 1]));
        var model = new ModelProto { IrVersion = 8, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }
}
