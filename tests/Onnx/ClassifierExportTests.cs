using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using Pipeline.Head;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Onnx;

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
        using var head = HeadTrainer.Train(train, null, new HeadOptions { Epochs = 4, Device = "cpu" });
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, new BackboneSpec(), onnx);

        var files = new List<string>();
        var pixels = new byte[12 * 224 * 224 * 3];
        for (int i = 0; i < 12; i++)
        {
            string cls = i % 2 == 0 ? "cat" : "dog";
            // A 224×224 PNG, so predict's resize is the identity and both sides see the same pixels.
            string png = BadImages.Reencode(TestPaths.Photo("test", cls, 4001 + i), tmp.Sub($"{cls}{i}.png"), "PNG", 224, 224);
            files.Add(png);
            var image = BadImages.DecodeFull(png);
            for (int p = 0; p < 224 * 224; p++)
            {
                image.Pixels.Slice(p * 4, 3).CopyTo(pixels.AsSpan((i * 224 * 224 * 3) + (p * 3), 3));
            }
        }

        using var predictor = new Predictor(head, new BackboneSpec { Device = "cpu" });
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
    }
}
