using Pipeline.Extractor;
using Pipeline.Extractor.Images;
using Pipeline.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Tests.Extractor;

public sealed class PreprocessorTests
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
        var pixels = new Rgb24[w * h];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
        }

        var fast = new float[pre.SlotLength];
        var plain = new float[pre.SlotLength];
        pre.Run(pixels, w, h, fast, new PreprocessScratch());
        pre.RunScalar(pixels, w, h, plain);
        double worst = fast.Zip(plain, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"largest difference fast vs scalar: {worst}");
    }

    /// <summary>On a real photo, both paths agree, and stay within a few grey levels of ImageSharp's own resize.</summary>
    [Fact]
    public void FastPathMatchesScalarAndImageSharpOnARealPhoto()
    {
        var pre = new Preprocessor(BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nchw));
        using var image = Image.Load<Rgb24>(TestPaths.Photo("train", "dog", 7));
        var fast = new float[pre.SlotLength];
        var plain = new float[pre.SlotLength];
        var imageSharp = new float[pre.SlotLength];
        var scratch = new PreprocessScratch();
        pre.Run(image, fast, scratch);
        Assert.True(image.DangerousTryGetSinglePixelMemory(out var mem));
        pre.RunScalar(mem.Span, image.Width, image.Height, plain);
        pre.RunWithImageSharpResize(image, imageSharp);

        double worstScalar = fast.Zip(plain, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worstScalar < 1e-5, $"largest difference fast vs scalar: {worstScalar}");
        double meanVsImageSharp = fast.Zip(imageSharp, (a, b) => Math.Abs(a - b)).Average() * 255;
        Assert.True(meanVsImageSharp < 1.5, $"mean difference to ImageSharp's Triangle resize: {meanVsImageSharp:F2} grey levels");
    }

    /// <summary>
    /// Resize + normalise of decoded pixels allocates nothing once the scratch has grown. (Asking
    /// ImageSharp for the pixel span costs one small enumerator; decoding itself allocates more.)
    /// </summary>
    [Fact]
    public void SteadyStatePreprocessingAllocatesNothing()
    {
        var pre = new Preprocessor(BackbonePreset.ResNet18.Preprocessing);
        using var image = Image.Load<Rgb24>(TestPaths.Photo("train", "cat", 7));
        Assert.True(image.DangerousTryGetSinglePixelMemory(out var memory));
        var slot = new float[pre.SlotLength];
        var scratch = new PreprocessScratch();
        pre.Run(memory.Span, image.Width, image.Height, slot, scratch);   // grows the scratch once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            pre.Run(memory.Span, image.Width, image.Height, slot, scratch);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
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
        var pixels = Enumerable.Repeat(new Rgb24(10, 20, 30), 224 * 224).ToArray();
        var slot = new float[pre.SlotLength];
        pre.Run(pixels, 224, 224, slot, new PreprocessScratch());
        int hw = 224 * 224;
        // BGR: channel 0 is blue (30), 1 green (20), 2 red (10).
        Assert.Equal(30 - mean[5], slot[5], 4);
        Assert.Equal(20 - mean[hw + 5], slot[hw + 5], 4);
        Assert.Equal(10 - mean[2 * hw + 5], slot[2 * hw + 5], 4);
    }
}
