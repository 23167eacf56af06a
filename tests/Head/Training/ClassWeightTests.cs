using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Training;

/// <summary>Class weights on a 1:20 imbalanced subset of the shared photos' ResNet18 features.</summary>
[Collection(ResNetCollection.Name)]
public sealed class ClassWeightTests(ResNetCache fixture)
{
    /// <summary>
    /// 600 cats and 30 dogs (the other 570 dogs excluded), 5-fold cross-validated, tested on the 400 balanced
    /// test photos. Balanced weights raise the dogs' recall, and the balanced accuracy does not fall by more
    /// than the noise of 400 photos (one 95 % Wilson half-width of the unweighted head's dog recall).
    /// </summary>
    [Fact]
    public void BalancedWeightsRaiseTheMinorityRecallOnAOneToTwentySubset()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        using var test = FeatureCache.Open(fixture.Root, "test");
        int dog = train.Classes.ToList().IndexOf("dog");
        var exclude = DogsBeyond(train, dog, 25).Concat(DogsBeyond(val, dog, 5)).ToList();
        Assert.Equal(570, exclude.Count);
        var plain = new HeadOptions { Device = DeviceRequest.Cpu, Exclude = exclude, Epochs = 30 };

        var (unweighted, weighted) = (Evaluate(plain, train, val, test), Evaluate(plain with { BalancedClassWeights = true }, train, val, test));
        double recallBefore = unweighted.PerClass[dog].Recall, recallAfter = weighted.PerClass[dog].Recall;
        var (low, high) = Wilson.Interval((int)Math.Round(recallBefore * 200), 200);
        Assert.True(recallAfter > recallBefore, $"dog recall {recallBefore:P2} unweighted, {recallAfter:P2} balanced");
        Assert.True(weighted.BalancedAccuracy >= unweighted.BalancedAccuracy - ((high - low) / 2),
            $"balanced accuracy {unweighted.BalancedAccuracy:P2} unweighted, {weighted.BalancedAccuracy:P2} balanced");
    }

    /// <summary>Balanced weights are n / (classes · n_c) per fold's images; explicit weights by name, others 1.</summary>
    [Fact]
    public void WeightsAreBalancedPerImageOrNamed()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        int dog = train.Classes.ToList().IndexOf("dog");
        var source = FeatureSource.Of(train, null, DogsBeyond(train, dog, 25).ToList());
        var views = HeadTrainer.ViewGroups(source, source.RowsOf(0));
        var balanced = HeadTrainer.ClassWeights(source, views, new HeadOptions { BalancedClassWeights = true })!;
        Assert.Equal(525.0 / (2 * 25), balanced[dog], 4);
        Assert.Equal(525.0 / (2 * 500), balanced[1 - dog], 4);
        var named = HeadTrainer.ClassWeights(source, views, new HeadOptions { ClassWeights = new Dictionary<string, double> { ["dog"] = 5 } })!;
        Assert.Equal(5, named[dog]);
        Assert.Equal(1, named[1 - dog]);
        Assert.Null(HeadTrainer.ClassWeights(source, views, new HeadOptions()));
    }

    /// <summary>A weight for a class the features lack, a weight of 0, or both kinds at once are refused with the setting named.</summary>
    [Fact]
    public void BadWeightsAreRefusedNamingTheSetting()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        var unknown = Assert.Throws<InvalidSettingException>(() => HeadTrainer.Train(train, null, new HeadOptions { Epochs = 1, Device = DeviceRequest.Cpu, ClassWeights = new Dictionary<string, double> { ["horse"] = 2 } }));
        Assert.Equal("class-weight", unknown.Setting);
        Assert.Contains("horse", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("cat, dog", unknown.Message, StringComparison.Ordinal);
        var zero = Assert.Throws<InvalidSettingException>(() => new HeadOptions { ClassWeights = new Dictionary<string, double> { ["cat"] = 0 } }.Validate());
        Assert.Equal("class-weight", zero.Setting);
        var both = Assert.Throws<InvalidSettingException>(() => new HeadOptions { BalancedClassWeights = true, ClassWeights = new Dictionary<string, double> { ["cat"] = 2 } }.Validate());
        Assert.Equal("class-weight", both.Setting);
    }

    private static Evaluation Evaluate(HeadOptions options, FeatureCache train, FeatureCache val, FeatureCache test)
    {
        using var head = HeadSelection.Select(train, val, [options], folds: 5).Head;
        return Evaluation.Run(head, test);
    }

    /// <summary>SPLIT/PATH of every dog image after the first <paramref name="keep"/> (manifest order).</summary>
    private static IEnumerable<string> DogsBeyond(FeatureCache cache, int dog, int keep) =>
        HeadTrainer.CleanRows(cache).Where(r => cache.Labels[r] == dog).Skip(keep).Select(r => $"{cache.Manifest.Split}/{cache.Manifest.Items[r].Path}");
}
