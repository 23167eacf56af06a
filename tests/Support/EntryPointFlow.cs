using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Tests.Support;

/// <summary>
/// What a C# caller does, start to end, through <see cref="TransferLearning"/> and <see cref="Classifier"/> only:
/// extract a small split dataset (8 training, 4 test photos per class), train, evaluate, predict one photo from a
/// file, its bytes and a stream (the same answer), export (ONNX Runtime loads it and gives one probability per
/// class), save, load and predict again (the same answer).
/// </summary>
internal static class EntryPointFlow
{
    public static void Run(TransferLearning pipeline, TempDir tmp, string backboneName)
    {
        string data = tmp.Sub("data");
        Datasets.SmallCatsDogs(Path.Combine(data, "train"), 8);
        Datasets.SmallCatsDogs(Path.Combine(data, "test"), 4, first: 4001, split: "test");
        string cache = tmp.Sub("cache");
        var extraction = pipeline.Extract(data, cache);
        Assert.Equal((24, 0), (extraction.Computed, extraction.SkippedCount));

        using var classifier = pipeline.Train(cache);
        Assert.Equal(["cat", "dog"], classifier.Classes);
        Assert.Equal(backboneName, classifier.Backbone);
        Assert.Equal(8, classifier.Evaluate(cache).Images);

        string photo = TestPaths.Photo("test", "dog", 4003);
        var fromFile = classifier.Predict(photo);
        Assert.Null(fromFile.Skipped);
        Assert.Equal(2, fromFile.Top.Count);
        Assert.Equal(fromFile.Top, classifier.Predict(File.ReadAllBytes(photo)).Top);
        using (var stream = File.OpenRead(photo))
        {
            Assert.Equal(fromFile.Top, classifier.Predict(stream).Top);
        }

        string onnx = tmp.Sub("classifier.onnx");
        classifier.Export(onnx);
        using (var session = new InferenceSession(onnx))
        {
            var input = session.InputMetadata["image"].Dimensions;
            using var pixels = OrtValue.CreateTensorValueFromMemory(new byte[input[1] * input[2] * 3], [1, input[1], input[2], 3]);
            using var outputs = session.Run(new RunOptions(), ["image"], [pixels], ["probabilities"]);
            var probabilities = outputs[0].GetTensorDataAsSpan<float>();
            Assert.Equal(2, probabilities.Length);
            Assert.Equal(1f, probabilities[0] + probabilities[1], 1e-4f);
        }

        classifier.Save(tmp.Sub("head"), curves: false);
        using var loaded = pipeline.Load(tmp.Sub("head"));
        Assert.Equal(fromFile.Top, loaded.Predict(photo).Top);
    }
}
