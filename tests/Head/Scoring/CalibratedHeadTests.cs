using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Pipeline.Tests.Head.Inference;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Scoring;

/// <summary>Temperature scaling on the shared photos' ResNet18 features: fitted out of fold, stored, used by predict, evaluate and export.</summary>
[Collection(ResNetCollection.Name)]
public sealed class CalibratedHeadTests(ResNetCache fixture)
{
    /// <summary>
    /// Cross-validation fits T on the out-of-fold logits and the refit head takes it only when it lowers their
    /// log-loss by more than the held-out loss's standard error (the gain recomputed here); the head carries the T
    /// taken (head.json included), and its probabilities are softmax(logits / T) to float precision; the out-of-fold
    /// calibration error at the fitted T does not rise.
    /// </summary>
    [Fact]
    public void CrossValidatedHeadCarriesTheOutOfFoldTemperature()
    {
        using var tmp = new TempDir();
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        using var test = FeatureCache.Open(fixture.Root, "test");
        var options = new HeadOptions { Epochs = 10, Device = DeviceRequest.Cpu };
        var selection = HeadSelection.Select(train, val, [options], folds: 4);
        using var head = selection.Head;
        var cv = head.Manifest.CrossValidation!;
        Assert.NotEqual(1, cv.FittedTemperature);
        Assert.InRange(cv.FittedTemperature, TemperatureScaling.MinTemperature, TemperatureScaling.MaxTemperature);
        Assert.True(cv.TemperatureGain > 0, $"out-of-fold log-loss gain {cv.TemperatureGain}");
        Assert.Equal(cv.TemperatureGain > cv.LossStdErr ? cv.FittedTemperature : 1, cv.Temperature);
        Assert.Equal(cv.Temperature, head.Manifest.Temperature);
        Assert.True(cv.CalibrationErrorAfter <= cv.CalibrationErrorBefore + 0.005, $"out-of-fold ECE {cv.CalibrationErrorBefore:P2} → {cv.CalibrationErrorAfter:P2}");

        head.Save(tmp.Sub("head"), curves: false);
        using var loaded = TrainedHead.Load(tmp.Sub("head"));
        Assert.Equal(cv.Temperature, loaded.Manifest.Temperature);

        // softmax(logits / T) by hand against the head's probabilities, on the test rows.
        var source = new FeatureSource(test);
        var rows = HeadTrainer.CleanRows(test);
        var reference = HeadTrainer.Logits(head.Model!, source, rows);   // TorchSharp, on the module trained here
        TemperatureScaling.Softmax(reference, 2, cv.Temperature);
        var features = new float[rows.Length * test.FeatureLength];
        test.ReadRows(rows, features);
        var actual = loaded.Probabilities(features, rows.Length);
        double worst = actual.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-5, $"largest difference from softmax(logits / T): {worst}");

        var e = Evaluation.Run(loaded, test);
        var c = e.Calibration!;
        Assert.Equal(cv.Temperature, c.Temperature);
        Assert.Equal(400, c.BinsAfter.Sum(b => b.Count));
        Assert.Equal(400, c.BinsBefore.Sum(b => b.Count));
        Assert.Equal(c.ErrorAfter, TemperatureScaling.ExpectedError(c.BinsAfter), 12);
        Assert.InRange(c.ErrorAfter, 0, 0.05);
        Assert.Equal(cv.Temperature == 1, c.LossBefore == e.Loss);
    }

    /// <summary>Trained with a validation split and no folds, the head is calibrated on the validation split.</summary>
    [Fact]
    public void ValidationSplitCalibratesAHeadTrainedWithoutFolds()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        var options = new HeadOptions { Epochs = 6, Device = DeviceRequest.Cpu };
        using var head = HeadTrainer.Train(train, val, options);
        Assert.NotEqual(1, head.Manifest.Temperature);
        using var raw = HeadTrainer.Train(train, val, options with { Calibrate = false });
        Assert.Equal(1, raw.Manifest.Temperature);
    }

    /// <summary>
    /// A calibrated head exports logits / T before the softmax: ONNX Runtime on raw pixels gives predict's
    /// probabilities to 1e-4, and the metadata names T.
    /// </summary>
    [Fact]
    public void ExportedGraphDividesTheLogitsByTheTemperature()
    {
        using var tmp = new TempDir();
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        using var head = HeadTrainer.Train(train, val, new HeadOptions { Epochs = 4, Device = DeviceRequest.Cpu });
        Assert.NotEqual(1, head.Manifest.Temperature);
        string onnx = tmp.Sub("classifier.onnx");
        ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest), onnx);

        var (files, pixels) = ClassifierExportTests.TestPhotosAt(tmp, 8);
        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, device: DeviceRequest.Cpu));
        var (expected, skipped) = predictor.Probabilities(files);
        Assert.All(skipped, s => Assert.Null(s));

        using var session = new InferenceSession(onnx);
        Assert.Equal(head.Manifest.Temperature, double.Parse(session.ModelMetadata.CustomMetadataMap["temperature"], System.Globalization.CultureInfo.InvariantCulture));
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [8, 224, 224, 3]);
        using var results = session.Run(new RunOptions(), ["image"], [input], ["probabilities"]);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        double worst = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest probability difference export vs predict: {worst}");
        Assert.Equal(["cat", "dog"], JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["classes"])!);
    }
}
