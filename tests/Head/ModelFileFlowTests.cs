using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head;

/// <summary>
/// The entry point's whole flow for heads trained on a model file rather than the embedded preset: a user's .onnx
/// (a tiny CNN with caffe preprocessing, written as exporters write it) and the int8 copy the entry point quantizes
/// from it. Extract, train, evaluate, predict from a file, bytes and a stream, export, load the saved head and predict
/// again, each through <see cref="TransferLearning"/> and <see cref="Classifier"/> alone.
/// </summary>
public sealed class ModelFileFlowTests
{
    /// <summary>A head trained on a user's .onnx predicts and exports with the pipeline that trained it (no other setting).</summary>
    [Fact]
    public void AHeadTrainedOnAModelFilePredictsExportsAndLoads()
    {
        using var tmp = new TempDir();
        string tiny = tmp.Sub("tiny.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 7), tiny);
        var pipeline = new TransferLearning
        {
            Backbone = new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu },
            HeadOptions = new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu },
            Folds = 2,
        };
        EntryPointFlow.Run(pipeline, tmp, "tiny");
    }

    /// <summary>The int8 file the entry point writes: its head predicts, exports and loads naming only the file.</summary>
    [Fact]
    public void AHeadTrainedOnTheInt8FilePredictsExportsAndLoads()
    {
        using var tmp = new TempDir();
        string tiny = tmp.Sub("tiny.onnx"), int8 = tmp.Sub("tiny-int8.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 7), tiny);
        var source = new TransferLearning { Backbone = new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu } };
        source.Quantize(Datasets.SmallCatsDogs(tmp.Sub("calibration"), 4), int8, images: 8);
        var pipeline = new TransferLearning
        {
            Backbone = new BackboneSpec { Backbone = int8, Device = DeviceRequest.Cpu },
            HeadOptions = new HeadOptions { Epochs = 3, Device = DeviceRequest.Cpu },
            Folds = 2,
        };
        EntryPointFlow.Run(pipeline, tmp, "tiny-int8");
    }

    /// <summary>The same head with the default backbone (resnet18) cannot find the file: refused, naming it.</summary>
    [Fact]
    public void LoadingAModelFileHeadWithoutTheFileNamesIt()
    {
        using var tmp = new TempDir();
        string tiny = tmp.Sub("tiny.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 7), tiny);
        var pipeline = new TransferLearning
        {
            Backbone = new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Caffe, Device = DeviceRequest.Cpu },
            HeadOptions = new HeadOptions { Epochs = 2, Device = DeviceRequest.Cpu },
            Folds = 0,
        };
        pipeline.Extract(Datasets.SmallCatsDogs(tmp.Sub("data", "train"), 4), tmp.Sub("cache"));
        using (var classifier = pipeline.Train(tmp.Sub("cache")))
        {
            classifier.Save(tmp.Sub("head"), curves: false);
        }

        using var loaded = new TransferLearning { Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } }.Load(tmp.Sub("head"));
        var e = Assert.Throws<InvalidSettingException>(() => loaded.Predict(TestPaths.Photo("test", "cat", 4001)));
        Assert.Contains("tiny.onnx", e.Message);
    }

    /// <summary>
    /// --patience under the default cross-validation: the folds stop once their mean held-out loss has not improved
    /// for that many epochs (it was a fixed 8 whatever was asked). Real ResNet18 features of 16 photos per class and a
    /// high learning rate overfit within a few epochs, so with patience 2 the folds run exactly two past the chosen one.
    /// </summary>
    [Fact]
    public void PatienceIsTheCrossValidationsPatience()
    {
        using var tmp = new TempDir();
        var pipeline = new TransferLearning
        {
            Backbone = new BackboneSpec { Device = DeviceRequest.Cpu },
            HeadOptions = new HeadOptions { Patience = 2, LearningRate = 3e-2, Epochs = 40, Device = DeviceRequest.Cpu },
            Folds = 2,
        };
        pipeline.Extract(Datasets.SmallCatsDogs(tmp.Sub("data"), 16), tmp.Sub("cache"));
        using var classifier = pipeline.Train(tmp.Sub("cache"));
        var cv = classifier.CrossValidation!;
        Assert.True(cv.BestEpoch < 30, $"the mean held-out loss bottomed out at epoch {cv.BestEpoch}");
        Assert.Equal(cv.BestEpoch + 2, cv.EpochsRun);
    }
}
