using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Backbones;

public sealed class BackboneTests
{
    private static readonly string[] Files = Enumerable.Range(1, 5).Select(i => TestPaths.Photo("train", "cat", i))
        .Concat(Enumerable.Range(1, 5).Select(i => TestPaths.Photo("train", "dog", i))).ToArray();

    /// <summary>The packaged ResNet18 fixes batch 1; it is made dynamic on load, and batching changes no bit.</summary>
    [Fact]
    public void BatchedFeaturesEqualBatchOneFeatures()
    {
        using var backbone = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Cpu });
        var (batched, s1) = ImageFeaturizer.Run(backbone, Files, batch: 8);
        var (single, s2) = ImageFeaturizer.Run(backbone, Files, batch: 1);
        Assert.All(s1.Concat(s2), s => Assert.Null(s));
        double worst = batched.Zip(single, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst == 0, $"largest difference batch 8 vs batch 1: {worst}");
    }

    [Fact]
    public void SameInputSameCpuGivesBitIdenticalFeatures()
    {
        using var a = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Cpu });
        using var b = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Cpu });
        var (fa, _) = ImageFeaturizer.Run(a, Files, batch: 4, workers: 2);
        var (fb, _) = ImageFeaturizer.Run(b, Files, batch: 4, workers: 1);
        Assert.True(fa.AsSpan().SequenceEqual(fb));
    }

    [Fact]
    public void AutoDeviceFallsBackToCpuAndSaysWhy()
    {
        var lines = new List<string>();
        using var backbone = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Auto }, lines.Add);
        if (backbone.IsCuda)
        {
            Assert.Contains(lines, l => l.Contains("CUDA device", StringComparison.Ordinal));
            return;
        }

        Assert.StartsWith("CPU", backbone.DeviceDescription);
        var info = Assert.Single(lines, l => l.StartsWith("device:", StringComparison.Ordinal));
        Assert.Contains("CUDA not available", info);
    }

    /// <summary>Where CUDA cannot load, asking for it names the library that is missing; on a machine with a GPU nothing is missing, and the test is skipped.</summary>
    [NoCudaFact]
    public void CudaAskedForWhereItCannotLoadNamesTheMissingLibrary()
    {
        var e = Assert.ThrowsAny<PipelineException>(() => Backbone.Load(new BackboneSpec { Device = new DeviceRequest(DeviceKind.Cuda) }));
        Assert.Equal(ExitCode.DeviceUnavailable, Reported.Of(e).Code);
        Assert.Matches(@"lib[\w.+-]+\.so", e.Message);
        Assert.Contains("--device cpu", Reported.Of(e).Hint);
    }

    [Fact]
    public void ResNet18PresetStatesItsContract()
    {
        using var backbone = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Cpu });
        Assert.Equal([512, 1, 1], backbone.FeatureShape);
        Assert.Equal("Pooling395_Output_0", backbone.Info.FeatureTensor);
        Assert.Equal(ColorOrder.Bgr, backbone.Preprocessing.ColorOrder);
        Assert.Equal(3 * 224 * 224, backbone.MeanImage!.Length);
        Assert.InRange(backbone.MeanImage.Average(), 100, 130);   // a 0–255 mean image
    }
}
