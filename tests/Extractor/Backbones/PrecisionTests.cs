using Microsoft.ML.OnnxRuntime;
using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Backbones;

[Collection(ResNetCollection.Name)]
public sealed class PrecisionTests(ResNetCache fixture)
{
    /// <summary>
    /// fp16 on the CPU (emulated: fp16 weights and activations, fp32 arithmetic) against fp32, the real ResNet18 on the
    /// fixture's comparison photos (200 training photos, all 400 test photos): each feature row within 1 % of the fp32
    /// row of the same photo (relative L2; measured 0.13 % median, 0.37 % worst over all 1,600), the precision
    /// recorded, and a default head trained on the fp16 features scores inside the 95 % interval of the fp32 head
    /// trained on the same photos, on the test split.
    /// </summary>
    [Fact]
    public void Fp16FeaturesStayCloseToFp32AndKeepTheHeadsAccuracy()
    {
        using var tmp = new TempDir();
        FeatureExtractor.Run(new ExtractionOptions
        {
            Data = fixture.ComparisonPhotos, Out = tmp.Sub("fp16"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu, Precision = Precision.Fp16 },
        });
        foreach (var (split, count) in new[] { (SplitName.Train, 2 * ResNetCache.ComparisonTrainPerClass), (SplitName.Test, 400) })
        {
            using var a = FeatureCache.Open(fixture.Root, split);
            using var b = FeatureCache.Open(tmp.Sub("fp16"), split);
            Assert.Equal(Precision.Fp16, b.Manifest.Backbone.Precision);
            Assert.Null(a.Manifest.Backbone.Precision);
            Assert.Equal(count, b.Count);
            var rowOf = Enumerable.Range(0, a.Count).ToDictionary(r => a.Manifest.Items[r].Path, StringComparer.Ordinal);
            var (ra, rb) = (new float[a.FeatureLength], new float[b.FeatureLength]);
            double worst = 0;
            for (int r = 0; r < b.Count; r++)
            {
                a.ReadRow(rowOf[b.Manifest.Items[r].Path], ra);
                b.ReadRow(r, rb);
                double diff = Math.Sqrt(ra.Zip(rb, (x, y) => (double)(x - y) * (x - y)).Sum()), norm = Math.Sqrt(ra.Sum(x => (double)x * x));
                worst = Math.Max(worst, diff / norm);
            }

            Assert.True(worst < 0.01, $"{split}: largest relative L2 difference fp16 vs fp32 {worst:E2}");
        }

        var fp32 = fixture.Fp32HeadOnComparison;
        var fp16 = ResNetCache.TrainAndEvaluate(tmp.Sub("fp16"));
        Assert.Equal(400, fp16.Images);
        Assert.InRange(fp16.Accuracy, fp32.AccuracyLow, fp32.AccuracyHigh);
    }

    /// <summary>An fp32 cache is never extended with fp16 rows: the precision is part of the feature space.</summary>
    [Fact]
    public void AnotherPrecisionOnAnExistingCacheIsRefused()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 2);
        var options = new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } };
        FeatureExtractor.Run(options);
        var e = Assert.Throws<FeatureSpaceMismatchException>(() => FeatureExtractor.Run(options with { Backbone = options.Backbone with { Precision = Precision.Fp16 } }));
        Assert.Contains("fp16", e.Difference);
        Assert.Equal(ExitCode.CacheMismatch, Reported.Of(e).Code);
    }

    /// <summary>Folding BatchNormalization into the convolutions changes nothing in fp32 (ONNX Runtime, random input).</summary>
    [Fact]
    public void FoldingBatchNormsKeepsTheFp32Output()
    {
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestPaths.ResNet18Model));
        var folded = Float16Graph.FoldBatchNorms(model);
        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        var input = new float[3 * 224 * 224];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (rng.NextSingle() * 255) - 128;
        }

        var a = Run(model, input);
        var b = Run(folded, input);
        double worst = a.Zip(b, (x, y) => Math.Abs(x - y) / (Math.Abs(x) + 1)).Max();
        Assert.True(worst < 1e-3, $"largest relative difference folded vs not {worst:E2}");
    }

    /// <summary>The CUDA fp16 graph: float16 weights and intermediates, float32 input and output, and Debian's onnx checker accepts it.</summary>
    [Fact]
    public void Fp16GraphHasHalfWeightsAndFloatEdgesAndPassesTheChecker()
    {
        using var tmp = new TempDir();
        var model = Float16Graph.Convert(global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestPaths.ResNet18Model)));
        Assert.All(model.Graph.Initializer.Where(t => t.DataType is 1 or 10), t => Assert.Equal(10, t.DataType));
        Assert.All(model.Graph.Input.Concat(model.Graph.Output), v => Assert.Equal(1, v.Type.TensorType.ElemType));
        File.WriteAllBytes(tmp.Sub("fp16.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(model));
        var check = Python.Run("""
            import sys, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m)
            print("ok")
            """, tmp.Sub("fp16.onnx"));
        Assert.True(check.ExitCode == 0, check.Stderr);
    }

    private static float[] Run(global::Onnx.ModelProto model, float[] input)
    {
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model));
        string name = session.InputMetadata.Keys.First();
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
        using var results = session.Run(new RunOptions(), [name], [value], [session.OutputMetadata.Keys.First()]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
