using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Inference;

/// <summary>Predict streams: features are held one chunk at a time, whatever the number of files (issue 30, item 1).</summary>
public sealed class StreamingPredictTests
{
    private const int Batch = 2;
    private const int Chunk = Batch * ImageFeaturizer.ChunkBatches;

    private static (TempDir Tmp, TrainedHead Head, string Tiny, List<string> Photos) Trained()
    {
        var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 4);
        string tiny = tmp.Sub("tiny.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 7), tiny);
        var spec = new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Torch, Device = DeviceRequest.Cpu };
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = spec });
        using var cache = FeatureCache.Open(tmp.Sub("cache"));
        var head = HeadTrainer.Train(cache, null, new HeadOptions { Epochs = 2, Device = DeviceRequest.Cpu });
        return (tmp, head, tiny, Predictor.ExpandPaths([data]));
    }

    /// <summary>
    /// 75 files (the 8 photos over and over, one missing file among them) at batch 2: never more than one chunk of 16 rows
    /// (32 with flips) is held, and the streamed predictions equal the whole-list ones, in order.
    /// </summary>
    [Fact]
    public void ManyFilesHoldOneChunkOfFeaturesAndMatchTheWholeList()
    {
        var (tmp, head, tiny, photos) = Trained();
        using var _ = tmp;
        using var __ = head;
        var files = Enumerable.Range(0, 75).Select(i => i == 40 ? tmp.Sub("missing.jpg") : photos[i % photos.Count]).ToList();
        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, tiny, device: DeviceRequest.Cpu));

        var streamed = predictor.PredictEach(files, top: 2, batch: Batch).ToList();
        Assert.True(predictor.PeakRowsHeld <= Chunk, $"held {predictor.PeakRowsHeld} rows at once, chunk is {Chunk}");
        Assert.Equal(files, streamed.Select(p => p.File));
        Assert.NotNull(streamed[40].Skipped);
        Assert.All(streamed.Where((_, i) => i != 40), p => Assert.Null(p.Skipped));

        var flipped = predictor.PredictEach(files, top: 1, batch: Batch, ttaFlip: true).ToList();
        Assert.Equal(files.Count, flipped.Count);
        Assert.True(predictor.PeakRowsHeld <= 2 * Chunk, $"held {predictor.PeakRowsHeld} rows at once with flips, 2 chunks are {2 * Chunk}");

        var whole = predictor.Predict(files, top: 2, batch: 32);
        for (int i = 0; i < files.Count; i++)
        {
            Assert.Equal(whole[i].Label, streamed[i].Label);
            Assert.Equal(whole[i].Probability, streamed[i].Probability, 5);
        }

        // The same photo gives the same prediction in every chunk.
        Assert.Equal(streamed[1].Probability, streamed[1 + (2 * photos.Count)].Probability, 6);
    }

    /// <summary>Predictions are lazy: reading the first three of an endless list of files classifies one chunk, not the list.</summary>
    [Fact]
    public void PredictionsOfAnEndlessListComeChunkByChunk()
    {
        var (tmp, head, tiny, photos) = Trained();
        using var _ = tmp;
        using var __ = head;
        using var predictor = new Predictor(head, HeadBackbone.Spec(head.Manifest, tiny, device: DeviceRequest.Cpu));
        int listed = 0;
        IEnumerable<string> Endless()
        {
            for (long i = 0; ; i++)
            {
                listed++;
                yield return photos[(int)(i % photos.Count)];
            }
        }

        var first = predictor.PredictEach(Endless(), top: 1, batch: Batch).Take(3).ToList();
        Assert.Equal(3, first.Count);
        Assert.All(first, p => Assert.NotNull(p.Label));
        Assert.True(listed <= Chunk + 1, $"{listed} files listed for 3 predictions");
    }
}
