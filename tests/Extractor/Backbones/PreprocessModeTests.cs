using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Backbones;

/// <summary>
/// Any pretrained backbone as Keras applications allow: every preprocessing mode against its written formula on
/// a real photo, the model's own metadata (no flags; a contradicting flag refused naming both), explicit values,
/// and pooling of a spatial feature map inside the graph.
/// </summary>
public sealed class PreprocessModeTests
{
    /// <summary>
    /// NHWC, the same resize: unit is v / 255 (checked against Pillow in PreprocessorTests); caffe is BGR v minus
    /// [103.939, 116.779, 123.68]; tf is v / 127.5 − 1; torch and imagenet are (v / 255 − mean) / std. Largest
    /// difference to the formula under 1e-4.
    /// </summary>
    [Theory]
    [InlineData(PreprocessMode.Caffe)]
    [InlineData(PreprocessMode.Tf)]
    [InlineData(PreprocessMode.Torch)]
    [InlineData(PreprocessMode.ImageNet)]
    [InlineData(PreprocessMode.Unit)]
    public void EveryModeIsItsWrittenFormulaOnARealPhoto(PreprocessMode mode)
    {
        var image = BadImages.DecodeFull(TestPaths.Photo("train", "cat", 3));
        var unit = Run(BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nhwc), image);
        var actual = Run(BackbonePreset.Presets.Of(mode, 224, 224, TensorLayout.Nhwc), image);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f], caffe = [103.939f, 116.779f, 123.68f];
        double worst = 0;
        for (int i = 0; i < unit.Length; i++)
        {
            int c = i % 3;
            double expected = mode switch
            {
                PreprocessMode.Caffe => (unit[i - c + (2 - c)] * 255.0) - caffe[c],   // channel c of BGR is RGB channel 2 − c
                PreprocessMode.Tf => (unit[i] * 255.0 / 127.5) - 1,
                PreprocessMode.Torch or PreprocessMode.ImageNet => (unit[i] - mean[c]) / std[c],
                _ => unit[i],
            };
            worst = Math.Max(worst, Math.Abs(actual[i] - expected));
        }

        Assert.True(worst < 1e-4, $"{mode}: largest difference to the formula {worst:E2}");
    }

    /// <summary>
    /// A model cut by the tool with its preprocessing and pooling recorded: extract needs no flag, reads tf from the
    /// metadata, and global average pooling inside the graph gives the cut-off GlobalAveragePool's own features; a
    /// contradicting --preprocess is refused naming both; --pool flatten keeps the whole map.
    /// </summary>
    [Fact]
    public void CutModelCarriesItsPreprocessingAndPoolsItsMap()
    {
        using var tmp = new TempDir();
        var full = SynthModels.TinyCnn(seed: 5);
        SynthModels.Save(full, tmp.Sub("full.onnx"));
        string map = full.Graph.Node.Single(n => n.OpType == "GlobalAveragePool").Input[0];   // (N, 32, 16, 16)
        OnnxTools.Cut(tmp.Sub("full.onnx"), map, tmp.Sub("base.onnx"), new PipelineMetadata { Preprocess = PreprocessMode.Tf });
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 3);

        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("pooled"), Backbone = new BackboneSpec { Backbone = tmp.Sub("base.onnx"), Device = DeviceRequest.Cpu } });
        using var pooled = FeatureCache.Open(tmp.Sub("pooled"));
        Assert.Equal(32, pooled.FeatureLength);
        Assert.Equal(Pooling.Avg, pooled.Manifest.Backbone.Pool);
        Assert.True(BackbonePreset.Presets.Tf(64, 64, TensorLayout.Nchw).Mean.SequenceEqual(pooled.Manifest.Preprocessing.Mean));

        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("whole"), Backbone = new BackboneSpec { Backbone = tmp.Sub("full.onnx"), Preprocess = PreprocessMode.Tf, Device = DeviceRequest.Cpu } });
        using var whole = FeatureCache.Open(tmp.Sub("whole"));
        var (a, b) = (new float[32], new float[32]);
        double worst = 0;
        for (int r = 0; r < whole.Count; r++)
        {
            whole.ReadRow(r, a);
            pooled.ReadRow(r, b);
            worst = Math.Max(worst, a.Zip(b, (x, y) => Math.Abs(x - y)).Max());
        }

        Assert.True(worst < 1e-5, $"largest difference of the in-graph average pool to the model's own: {worst:E2}");

        var refused = Assert.Throws<InvalidSettingException>(() => FeatureExtractor.Run(new ExtractionOptions
        {
            Data = data, Out = tmp.Sub("caffe"), Backbone = new BackboneSpec { Backbone = tmp.Sub("base.onnx"), Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu },
        }));
        Assert.Contains("caffe", refused.Message);
        Assert.Contains("tf", refused.Expected);

        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("flat"), Backbone = new BackboneSpec { Backbone = tmp.Sub("base.onnx"), Pool = Pooling.Flatten, Device = DeviceRequest.Cpu } });
        using var flat = FeatureCache.Open(tmp.Sub("flat"));
        Assert.Equal(32 * 16 * 16, flat.FeatureLength);
        Assert.Null(flat.Manifest.Backbone.Pool);
    }

    /// <summary>A plain file with no metadata and no mode is refused with a hint that names every mode, tf included; explicit values need no mode.</summary>
    [Fact]
    public void UnknownPreprocessingIsRefusedNamingEveryModeAndExplicitValuesWork()
    {
        using var tmp = new TempDir();
        SynthModels.Save(SynthModels.TinyCnn(seed: 2), tmp.Sub("tiny.onnx"));
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 2);
        var e = Assert.Throws<InvalidSettingException>(() => FeatureExtractor.Run(new ExtractionOptions
        {
            Data = data, Out = tmp.Sub("c"), Backbone = new BackboneSpec { Backbone = tmp.Sub("tiny.onnx"), Device = DeviceRequest.Cpu },
        }));
        Assert.All(new[] { "caffe", "tf", "torch", "imagenet", "unit" }, m => Assert.Contains(m, e.Expected));

        FeatureExtractor.Run(new ExtractionOptions
        {
            Data = data, Out = tmp.Sub("d"),
            Backbone = new BackboneSpec { Backbone = tmp.Sub("tiny.onnx"), Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f], Channels = ColorOrder.Bgr, Device = DeviceRequest.Cpu },
        });
        using var cache = FeatureCache.Open(tmp.Sub("d"));
        Assert.Equal(ColorOrder.Bgr, cache.Manifest.Preprocessing.ColorOrder);
        Assert.Equal([0.25f, 0.25f, 0.25f], cache.Manifest.Preprocessing.Std);
    }

    private static float[] Run(Preprocessing p, DecodedImage image)
    {
        var pre = new Preprocessor(p);
        var slot = new float[pre.SlotLength];
        pre.Run(image, slot, new PreprocessScratch());
        return slot;
    }
}
