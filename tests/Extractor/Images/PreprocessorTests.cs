using Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace Pipeline.Tests.Extractor.Images;

public sealed class PreprocessorTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, TensorLayout, ColorOrder, ResizeMode> Cases => new()
    {
        { 500, 375, TensorLayout.Nchw, ColorOrder.Bgr, ResizeMode.Squash },
        { 224, 224, TensorLayout.Nchw, ColorOrder.Rgb, ResizeMode.Squash },
        { 100, 60, TensorLayout.Nchw, ColorOrder.Rgb, ResizeMode.Squash },     // upscale
        { 1031, 257, TensorLayout.Nhwc, ColorOrder.Bgr, ResizeMode.Crop },
        { 333, 999, TensorLayout.Nhwc, ColorOrder.Rgb, ResizeMode.Squash },
        { 7, 3, TensorLayout.Nchw, ColorOrder.Rgb, ResizeMode.Crop },
    };

    /// <summary>The fast fused path against the plain scalar version, on random pixels.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesScalarOnRandomImages(int w, int h, TensorLayout layout, ColorOrder order, ResizeMode resize)
    {
        var p = BackbonePreset.Presets.ImageNet(224, 224, layout) with { ColorOrder = order, Resize = resize };
        var pre = new Preprocessor(p);
        var rng = new Random(w * 31 + h);
        var pixels = new byte[w * h * 4];
        rng.NextBytes(pixels);   // RGBA; the alpha byte must be ignored

        var fast = new float[pre.SlotLength];
        var plain = new float[pre.SlotLength];
        pre.Run(pixels, w, h, fast, new PreprocessScratch());
        pre.RunScalar(pixels, w, h, plain);
        double worst = fast.Zip(plain, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest difference fast vs scalar: {worst}");
    }

    /// <summary>
    /// On a real photo: the fast path equals the scalar one, and both stay within a grey level of
    /// Pillow's decode + antialiased bilinear resize (the reference torchvision users run), squash and crop.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FastPathMatchesScalarAndPillowOnARealPhoto(bool crop)
    {
        var unit = BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nhwc) with { Resize = crop ? ResizeMode.Crop : ResizeMode.Squash };
        var pre = new Preprocessor(unit);
        string photo = TestPaths.Photo("train", "dog", 7);
        var image = BadImages.DecodeFull(photo);
        var fast = new float[pre.SlotLength];
        var plain = new float[pre.SlotLength];
        pre.Run(image, fast, new PreprocessScratch());
        pre.RunScalar(image.Pixels, image.Width, image.Height, plain);
        double worstScalar = fast.Zip(plain, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worstScalar < 1e-5, $"largest difference fast vs scalar: {worstScalar}");

        var pillow = BadImages.PillowResized(photo, 224, 224, crop);
        double meanVsPillow = fast.Zip(pillow, (a, b) => Math.Abs(a * 255 - b)).Average();
        Assert.True(meanVsPillow < 1.0, $"mean difference to Pillow: {meanVsPillow:F3} grey levels");
    }

    /// <summary>
    /// Resize + normalise of decoded pixels allocates nothing once the scratch has grown and the JIT is done with it.
    /// The runtime's one-time work for a method (on-stack replacement of a tier-0 loop, class initialisation met by
    /// newly compiled tier-1 code) runs on the calling thread and may allocate there, once, at a moment its background
    /// compiler chooses (tier-0 code may allocate in every call until then): on a fresh clone five calls after a single
    /// warm-up call allocated 5,064 bytes. So no clock decides when the steady state starts: calls are measured five at
    /// a time until 20 rounds in a row (100 calls) allocate nothing. Work done once can break a streak only once each;
    /// an allocation in every call, or in one call of every hundred, never makes a streak, and the test fails after
    /// 10,000 rounds (50,000 calls, far more than the runtime's tier-up takes: its delay is 100 ms, a call about 1 ms).
    /// </summary>
    [Fact]
    public void SteadyStatePreprocessingAllocatesNothing()
    {
        const int Calls = 5, Streak = 20, MaxRounds = 10_000;
        var pre = new Preprocessor(BackbonePreset.ResNet18.Preprocessing);
        var image = BadImages.DecodeFull(TestPaths.Photo("train", "cat", 7));
        var slot = new float[pre.SlotLength];
        var scratch = new PreprocessScratch();
        pre.Run(image, slot, scratch);   // grows the scratch once

        var allocated = new List<long>();
        int quiet = 0;
        while (quiet < Streak && allocated.Count < MaxRounds)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Calls; i++)
            {
                pre.Run(image, slot, scratch);
            }

            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            quiet = allocated[^1] == 0 ? quiet + 1 : 0;
        }

        var loud = allocated.Select((bytes, round) => (bytes, round)).Where(r => r.bytes != 0).ToList();
        output.WriteLine($"{allocated.Count} rounds of {Calls} calls; {loud.Count} allocated ({loud.Sum(r => r.bytes)} B), the last in round {(loud.Count == 0 ? -1 : loud[^1].round)}");
        Assert.True(quiet == Streak, $"no {Streak} allocation-free rounds of {Calls} calls in a row in {allocated.Count} rounds; "
            + $"{loud.Count} rounds allocated, the last ones: {string.Join(", ", loud.TakeLast(5).Select(r => $"round {r.round}: {r.bytes} B"))}");
    }

    [Fact]
    public void MeanImageIsSubtractedPerPixelInTensorChannelOrder()
    {
        var p = BackbonePreset.ResNet18.Preprocessing;
        var mean = new float[3 * 224 * 224];
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = i % 7;
        }

        var pre = new Preprocessor(p, mean);
        var pixels = Enumerable.Range(0, 224 * 224).SelectMany(_ => new byte[] { 10, 20, 30, 255 }).ToArray();
        var slot = new float[pre.SlotLength];
        pre.Run(pixels, 224, 224, slot, new PreprocessScratch());
        int hw = 224 * 224;
        // BGR: channel 0 is blue (30), 1 green (20), 2 red (10).
        Assert.Equal(30 - mean[5], slot[5], 4);
        Assert.Equal(20 - mean[hw + 5], slot[hw + 5], 4);
        Assert.Equal(10 - mean[2 * hw + 5], slot[2 * hw + 5], 4);
    }

    /// <summary>The vectorised byte → float widening against its plain loop, on lengths with and without a scalar tail.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(2000)]
    [InlineData(500 * 375 * 4 + 7)]
    public void WideningMatchesThePlainLoop(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        var fast = new float[length];
        var plain = new float[length];
        Widen.ToSingle(bytes, fast);
        Widen.ToSingleScalar(bytes, plain);
        Assert.Equal(plain, fast);
    }
}
