using Onnx;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Onnx;

/// <summary>
/// Model files as exporters write them, and the ways they go wrong: weights in external data, pooling in the metadata,
/// inputs too big for one buffer, graphs that are not one float image in and float features out, features that are
/// not finite. Each refusal comes at load, before an image is read, as the model error (exit 4) or the setting's.
/// </summary>
public sealed class ModelFileTests
{
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    /// <summary>
    /// A model whose weights sit in model.onnx.data: extract run from another folder, one holding a different file of
    /// that name, reads the weights beside the model (rows equal to the same model with its weights inline); new
    /// weights in that file are a new backbone: the cache refuses to be extended by it, --force recomputes different
    /// rows, and a head trained before is refused behind it.
    /// </summary>
    [Fact]
    public void ExternalWeightsAreReadBesideTheModelAndAreItsIdentity()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 2);
        Directory.CreateDirectory(tmp.Sub("model"));
        Directory.CreateDirectory(tmp.Sub("elsewhere"));
        string model = TestModels.SaveWithExternalData(TestModels.ConvMap(seed: 1), tmp.Sub("model", "model.onnx"));
        string inline = TestModels.Save(TestModels.ConvMap(seed: 1), tmp.Sub("inline.onnx"));
        TestModels.SaveWithExternalData(TestModels.ConvMap(seed: 2), tmp.Sub("elsewhere", "decoy.onnx"));   // writes elsewhere/model.onnx.data

        Ok(Cli(tmp.Sub("elsewhere"), "extract", "--data", data, "--out", tmp.Sub("external"), "--backbone", model, "--device", "cpu"));
        Ok(Cli(tmp.Sub("elsewhere"), "extract", "--data", data, "--out", tmp.Sub("inline"), "--backbone", inline, "--device", "cpu"));
        var external = Rows(tmp.Sub("external"));
        Assert.Equal(Rows(tmp.Sub("inline")), external);

        Ok(CliProcess.Run("train", "--cache", tmp.Sub("external"), "--out", tmp.Sub("head"), "--epochs", "2", "--head-device", "cpu", "--quiet"));
        TestModels.SaveWithExternalData(TestModels.ConvMap(seed: 3), model);   // new weights, same layout
        var again = Cli(tmp.Sub("elsewhere"), "extract", "--data", data, "--out", tmp.Sub("external"), "--backbone", model, "--device", "cpu");
        Assert.True(again.ExitCode == 5, $"exit {again.ExitCode}: {again.Stderr}");
        Ok(Cli(tmp.Sub("elsewhere"), "extract", "--data", data, "--out", tmp.Sub("external"), "--backbone", model, "--device", "cpu", "--force"));
        Assert.NotEqual(external, Rows(tmp.Sub("external")));

        var predict = CliProcess.Run("predict", "--head", tmp.Sub("head"), "--backbone", model, "--device", "cpu", TestPaths.Photo("train", "cat", 1));
        Assert.True(predict.ExitCode == 5, $"exit {predict.ExitCode}: {predict.Stderr}");
    }

    /// <summary>An external-data location that is absolute or climbs out of the model's folder is refused, naming the tensor.</summary>
    [Theory]
    [InlineData("../outside.data", "outside the model's folder")]
    [InlineData("/tmp/pipeline-tests-absolute.data", "an absolute path")]
    [InlineData("missing.data", "which is not in the model's folder")]
    public void ExternalLocationOutsideTheModelsFolderIsRefused(string location, string problem)
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.Sub("model"));
        string model = TestModels.SaveWithExternalData(TestModels.ConvMap(), tmp.Sub("model", "model.onnx"), "model.onnx.data");
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        proto.Graph.Initializer[0].ExternalData.Single(e => e.Key == "location").Value = location;
        TestModels.Save(proto, model);
        var e = Assert.Throws<ModelFileException>(() => Backbone.Load(new BackboneSpec { Backbone = model, Device = DeviceRequest.Cpu }));
        Assert.Contains("tensor 'conv_w'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    /// <summary>pipeline.pool=flatten (what 'models cut --pool flatten' writes) keeps the whole map; without it the map is average-pooled.</summary>
    [Fact]
    public void PoolFlattenInTheMetadataKeepsTheWholeMap()
    {
        using var tmp = new TempDir();
        var flat = TestModels.ConvMap();
        OnnxBuilder.Meta(flat, PipelineMetadata.PoolKey, "flatten");
        using (var backbone = Backbone.Load(new BackboneSpec { Backbone = TestModels.Save(flat, tmp.Sub("flat.onnx")), Device = DeviceRequest.Cpu }))
        {
            Assert.Equal(4 * 6 * 6, backbone.FeatureLength);
        }

        using var pooled = Backbone.Load(new BackboneSpec { Backbone = TestModels.Save(TestModels.ConvMap(), tmp.Sub("map.onnx")), Device = DeviceRequest.Cpu });
        Assert.Equal(4, pooled.FeatureLength);
    }

    /// <summary>
    /// A fixed 6000×6000 input is 108,000,000 floats an image: batch 32 would be 3.5e9 floats in int (overflow), and
    /// 6689×6689 at batch 16 wraps just past 2^31; both are refused naming the batch and the most that fits.
    /// </summary>
    [Theory]
    [InlineData(6000, 32, 19)]
    [InlineData(6689, 16, 15)]
    public void BatchOfAHugeInputIsRefusedNotWrapped(int side, int batch, int most)
    {
        using var tmp = new TempDir();
        var model = TestModels.New();
        var g = model.Graph;
        g.Input.Add(OnnxBuilder.Value("image", Float, ["N", 3, side, side]));
        g.Initializer.Add(OnnxBuilder.FloatTensor("w", [1f, 1f, 1f], [1, 3, 1, 1]));
        OnnxBuilder.Node(g.Node, "Conv", ["image", "w"], "c");
        OnnxBuilder.Node(g.Node, "GlobalAveragePool", ["c"], "features");
        g.Output.Add(OnnxBuilder.Value("features", Float, ["N", 1, 1, 1]));
        using var backbone = Backbone.Load(new BackboneSpec { Backbone = TestModels.Save(model, tmp.Sub("huge.onnx")), Device = DeviceRequest.Cpu });
        Assert.Equal(3L * side * side, backbone.InputLength);
        var e = Assert.Throws<InvalidSettingException>(() => new ExtractionPipeline(backbone, batch, 1, 1 << 20));
        Assert.Equal("batch", e.Setting);
        Assert.Contains($"at most {most} for this model", e.Message);
        Assert.Contains($"3x{side}x{side}", e.Message);
    }

    public static TheoryData<string, string> BrokenModels => new()
    {
        { "uint8-input", "input 'image' is uint8; expected float32" },
        { "two-inputs", "graph has 2 inputs ('image', 'mask'); expected one" },
        { "int64-output", "output 'features' is int64; expected float32 features" },
        { "no-output", "graph has no output" },
        { "batch-folded", "output 'features' is (1, 288) for 2 images of input 'image'; expected its first axis to be the batch" },
    };

    /// <summary>Each model that cannot be a backbone is the model error through the CLI (exit 4), naming the tensor and what was expected.</summary>
    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void ModelThatCannotBeABackboneIsTheModelError(string kind, string message)
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 1);
        string model = TestModels.Save(Broken(kind), tmp.Sub(kind + ".onnx"));
        var r = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", model, "--device", "cpu");
        Assert.True(r.ExitCode == 4, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains(message, r.Stderr);
        Assert.False(Directory.Exists(tmp.Sub("cache")) && Directory.EnumerateFiles(tmp.Sub("cache"), "*.npy", SearchOption.AllDirectories).Any(), "no feature was written");
    }

    /// <summary>
    /// Features that are not finite stop extract with their cause: pipeline.std=0,0,0 at load (exit 4, naming the key);
    /// fp16 inference past 65,504 (--precision fp16) and a float16 cache of such values (--dtype float16) naming the
    /// setting to change (exit 2); a model that gives NaN itself, naming the image (exit 4).
    /// </summary>
    [Theory]
    [InlineData("zero-std", new string[0], 4, "metadata pipeline.std '0,0,0' has a standard deviation of zero")]
    [InlineData("large", new[] { "--precision", "fp16" }, 2, "--precision 'fp16' is not fp32 (or tf32 on CUDA): computed in float16, the features of")]
    [InlineData("large", new[] { "--dtype", "float16" }, 2, "beyond float16's largest value 65,504")]
    [InlineData("nan", new string[0], 4, "gives a non-finite feature for image")]
    public void NonFiniteFeaturesStopExtractWithTheirCause(string kind, string[] flags, int exit, string message)
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 1);
        var model = TestModels.ConvMap(scale: kind == "large" ? 1e5f : 0.1f);
        if (kind == "zero-std")
        {
            OnnxBuilder.Meta(model, PipelineMetadata.StdKey, "0,0,0");
        }
        else if (kind == "nan")
        {
            // log(map - 1e6): the log of a negative number, NaN.
            var g = model.Graph;
            g.Output.Clear();
            g.Initializer.Add(OnnxBuilder.FloatTensor("big", [1e6f], [1]));
            OnnxBuilder.Node(g.Node, "Sub", ["map", "big"], "shifted");
            OnnxBuilder.Node(g.Node, "Log", ["shifted"], "features");
            g.Output.Add(OnnxBuilder.Value("features", Float, ["N", 4, 6, 6]));
        }

        string file = TestModels.Save(model, tmp.Sub(kind + ".onnx"));
        var r = CliProcess.Run(["extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", file, "--device", "cpu", .. flags]);
        Assert.True(r.ExitCode == exit, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains(message, r.Stderr);
    }

    private static ModelProto Broken(string kind)
    {
        var model = TestModels.ConvMap();
        var g = model.Graph;
        switch (kind)
        {
            case "uint8-input":
                g.Input[0] = OnnxBuilder.Value("image", TensorProto.Types.DataType.Uint8, ["N", 3, TestModels.Size, TestModels.Size]);
                GraphSurgery.Rename(g.Node, "image", "image_float");
                g.Node.Insert(0, new NodeProto { OpType = "Cast", Name = "to_float", Input = { "image" }, Output = { "image_float" }, Attribute = { new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)Float } } });
                break;
            case "two-inputs":
                g.Input.Add(OnnxBuilder.Value("mask", Float, ["N", 3, TestModels.Size, TestModels.Size]));
                GraphSurgery.Rename(g.Node, "image", "masked");
                g.Node.Insert(0, new NodeProto { OpType = "Mul", Name = "mask_mul", Input = { "image", "mask" }, Output = { "masked" } });
                break;
            case "int64-output":
                g.Output.Clear();
                g.Node.Add(new NodeProto { OpType = "Cast", Name = "to_int", Input = { "map" }, Output = { "features" }, Attribute = { new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Int64 } } });
                g.Output.Add(OnnxBuilder.Value("features", TensorProto.Types.DataType.Int64, ["N", 4, 6, 6]));
                break;
            case "no-output":
                g.Output.Clear();
                break;
            case "batch-folded":
                // Reshape to (1, -1): the batch folded into the features, as an export with a hard-coded batch of 1 does.
                g.Output.Clear();
                g.Initializer.Add(TestModels.Int64Tensor("flat_shape", [1, -1]));
                g.Node.Add(new NodeProto { OpType = "Reshape", Name = "flat", Input = { "map", "flat_shape" }, Output = { "features" } });
                g.Output.Add(new ValueInfoProto { Name = "features", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)Float } } });
                break;
        }

        return model;
    }

    private static CliProcess.Result Cli(string workingDirectory, params string[] args) =>
        CliProcess.Exec("dotnet", [TestPaths.CliDll, .. args], workingDirectory: workingDirectory);

    private static float[] Rows(string cache)
    {
        using var c = FeatureCache.Open(cache);
        var all = new float[c.Count * c.FeatureLength];
        for (int r = 0; r < c.Count; r++)
        {
            c.ReadRow(r, all.AsSpan(r * c.FeatureLength, c.FeatureLength));
        }

        return all;
    }

    private static CliProcess.Result Ok(CliProcess.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        return r;
    }
}
