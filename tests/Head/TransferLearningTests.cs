using Microsoft.ML.OnnxRuntime;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head;

/// <summary>The entry point a C# caller uses, on the real ResNet18 features of the shared photos.</summary>
[Collection(ResNetCollection.Name)]
public sealed class TransferLearningTests(ResNetCache fixture)
{
    /// <summary>
    /// Quantize from C#: the entry point writes an int8 copy of its backbone (a tiny CNN with caffe preprocessing here),
    /// says every convolution runs as an integer kernel, and a second pipeline naming only the file extracts with it
    /// (its preprocessing came with it) and trains.
    /// </summary>
    [Fact]
    public void QuantizesItsBackboneAndTheFileNeedsNothingElse()
    {
        using var tmp = new TempDir();
        string tiny = tmp.Sub("tiny.onnx"), int8 = tmp.Sub("tiny-int8.onnx");
        Pipeline.Tooling.SynthModels.Save(Pipeline.Tooling.SynthModels.TinyCnn(seed: 7), tiny);
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 6);
        var source = new TransferLearning { Backbone = new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu } };
        var report = source.Quantize(data, int8, images: 8);
        Assert.Equal((3, 3, 3), (report.WeightedOps, report.IntegerKernels, report.DroppedActivations));
        Assert.Equal(8, report.Images);
        Assert.Equal(4, report.FidelityImages);
        Assert.Contains("int8", report.Description);

        var quantized = new TransferLearning { Backbone = new BackboneSpec { Backbone = int8, Device = DeviceRequest.Cpu }, HeadOptions = new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu }, Folds = 2 };
        var extraction = quantized.Extract(data, tmp.Sub("cache"));
        Assert.Equal((12, 0), (extraction.Computed, extraction.SkippedCount));
        using var classifier = quantized.Train(tmp.Sub("cache"));
        Assert.Equal(["cat", "dog"], classifier.Classes);
    }

    /// <summary>
    /// Train with the CLI's defaults (5-fold cross-validation, then a refit on all 1,200 images), evaluate on
    /// the test split, predict one photo from a file, from its bytes and from a stream (the same answer), save
    /// without drawing curves, load it back (the same accuracy), and export a file ONNX Runtime loads.
    /// </summary>
    [Fact]
    public void TrainsEvaluatesPredictsSavesAndExportsWithTheCliDefaults()
    {
        using var tmp = new TempDir();
        var pipeline = new TransferLearning { HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu }, Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } };
        using var classifier = pipeline.Train(fixture.Root);
        Assert.Equal(HeadSelection.DefaultFolds, classifier.CrossValidation!.Folds);
        Assert.Equal(1200, classifier.TrainImages);
        Assert.Equal(["cat", "dog"], classifier.Classes);
        var test = classifier.Evaluate(fixture.Root);
        Assert.Equal(400, test.Images);
        Assert.True(test.AccuracyLow > 0.93, $"test accuracy {test.Accuracy:P2} ({test.AccuracyLow:P1}–{test.AccuracyHigh:P1})");

        string photo = TestPaths.Photo("test", "dog", 4003);
        var fromFile = classifier.Predict(photo);
        var fromBytes = classifier.Predict(File.ReadAllBytes(photo));
        using var stream = File.OpenRead(photo);
        var fromStream = classifier.Predict(stream);
        Assert.Null(fromFile.Skipped);
        Assert.Equal(2, fromFile.Top.Count);
        Assert.Equal(fromFile.Top, fromBytes.Top);
        Assert.Equal(fromFile.Top, fromStream.Top);
        Assert.Equal("image", fromBytes.File);
        Assert.Contains("empty", classifier.Predict(Array.Empty<byte>()).Skipped);

        classifier.Save(tmp.Sub("head"), curves: false);
        Assert.True(File.Exists(tmp.Sub("head", TrainedHead.ManifestFile)));
        Assert.False(File.Exists(tmp.Sub("head", TrainedHead.CurvesFile)));
        Assert.Empty(Directory.GetFiles(tmp.Sub("head"), "*.tmp"));
        using (var loaded = pipeline.Load(tmp.Sub("head")))
        {
            Assert.Equal(test.Correct, loaded.Evaluate(fixture.Root).Correct);
        }

        classifier.Export(tmp.Sub("classifier.onnx"));
        using var session = new InferenceSession(tmp.Sub("classifier.onnx"));
        Assert.Equal("shorter side to 224 (bilinear), then cut the centre 224x224".Replace("shorter side to", "scale the shorter side to"), session.ModelMetadata.CustomMetadataMap["resize"]);
    }
}
