using System.IO.Compression;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Images;

/// <summary>Very wide and tall images decode in memory bounded by the output (issue 30, item 3).</summary>
public sealed class ExtremeAspectTests
{
    private static readonly Preprocessing Crop224 = BackbonePreset.Presets.Unit(224, 224, TensorLayout.Nchw) with { Resize = ResizeMode.Crop };

    /// <summary>An 8-bit RGB PNG of <paramref name="width"/> × <paramref name="height"/>: zeros, except pixels <paramref name="paint"/> gives a colour.</summary>
    private static void Png(string path, int width, int height, Func<int, int, byte>? paint = null)
    {
        using var zlib = new MemoryStream();
        using (var z = new ZLibStream(zlib, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + (width * 3)];   // filter byte 0 (none), then RGB
            for (int y = 0; y < height; y++)
            {
                if (paint is not null)
                {
                    for (int x = 0; x < width; x++)
                    {
                        row[1 + (x * 3)] = row[2 + (x * 3)] = row[3 + (x * 3)] = paint(x, y);
                    }
                }

                z.Write(row);
            }
        }

        File.WriteAllBytes(path, BadImages.Png(width, height, zlib.ToArray()));
    }

    [Theory]
    [InlineData(500_000, 200)]
    [InlineData(999_999, 100)]
    [InlineData(100, 999_999)]
    public void ZeroFilledStripDecodesIntoAnOutputSizedBuffer(int width, int height)
    {
        using var tmp = new TempDir();
        string path = tmp.Sub("strip.png");
        Png(path, width, height);
        Assert.True(new FileInfo(path).Length < 2 << 20, "the test file compresses to a couple of MB");
        foreach (var decoder in new[] { new ImageDecoder(Crop224), new ImageDecoder(224, 224, resize: ResizeMode.Squash) })
        {
            var image = new DecodedImage();
            decoder.ReadFile(path, new byte[32]);
            decoder.Decode(image);
            long full = (long)width * height * 4;
            // The output keeps the short side (up to the target's 224), and is a few target images at most.
            Assert.True(Math.Min(image.Width, image.Height) >= Math.Min(224, Math.Min(width, height)), $"{image.Width}x{image.Height}");
            Assert.True(image.CapacityBytes <= 4 * 224 * 224 * 4, $"decoded buffer {image.CapacityBytes:N0} bytes, the full image is {full:N0}");
            // One source row (and the file) is all the decoder keeps: a few MB, against the 400 MB a full decode takes.
            Assert.True(decoder.ScratchBytes <= (8L * Math.Max(width, height)) + (4 << 20), $"decoder scratch {decoder.ScratchBytes:N0} bytes");
        }
    }

    /// <summary>Crop mode keeps the centre: a 200000×100 strip, grey in its centre 100×100 and black elsewhere, preprocesses as that square does alone.</summary>
    [Fact]
    public void WideStripCroppedKeepsItsCentre()
    {
        using var tmp = new TempDir();
        const int w = 200_000, h = 100, x0 = (w - h) / 2;
        static byte Grey(int x, int y) => (byte)(40 + ((x + (2 * y)) % 160));
        Png(tmp.Sub("strip.png"), w, h, (x, y) => x >= x0 && x < x0 + h ? Grey(x - x0, y) : (byte)0);
        Png(tmp.Sub("centre.png"), h, h, Grey);
        var pre = new Preprocessor(Crop224);
        float[] Slot(string path) => BadImages.PreprocessedSlot(pre, path);

        var strip = Slot(tmp.Sub("strip.png"));
        var centre = Slot(tmp.Sub("centre.png"));
        double mean = strip.Zip(centre, (a, b) => Math.Abs(a - b)).Average() * 255;
        Assert.True(mean < 1.0, $"mean difference strip vs its centre: {mean:F2} grey levels");
    }

    /// <summary>After an outsized image the buffers are given back: a 3000×3000 decode (36 MB) then a small one leaves small buffers.</summary>
    [Fact]
    public void BuffersShrinkAfterAnOutsizedImage()
    {
        using var tmp = new TempDir();
        Png(tmp.Sub("big.png"), 3000, 3000);
        Png(tmp.Sub("small.png"), 300, 200);
        var decoder = new ImageDecoder();
        var image = new DecodedImage();
        decoder.ReadFile(tmp.Sub("big.png"), new byte[32]);
        decoder.Decode(image);
        Assert.True(image.CapacityBytes >= 3000L * 3000 * 4);
        decoder.ReadFile(tmp.Sub("small.png"), new byte[32]);
        decoder.Decode(image);
        Assert.True(image.CapacityBytes <= 300 * 200 * 4 * 2, $"buffer kept {image.CapacityBytes:N0} bytes after a 300x200 image");
    }

    /// <summary>The files through the whole featurizer (tiny backbone): each gives features, none is skipped.</summary>
    [Fact]
    public void StripsGiveFeatures()
    {
        using var tmp = new TempDir();
        Png(tmp.Sub("wide.png"), 500_000, 200);
        Png(tmp.Sub("wider.png"), 999_999, 100);
        string tiny = tmp.Sub("tiny.onnx");
        SynthModels.Save(SynthModels.TinyCnn(seed: 4), tiny);
        using var backbone = Backbone.Load(new BackboneSpec { Backbone = tiny, Preprocess = PreprocessMode.Torch, Resize = ResizeMode.Crop, Device = DeviceRequest.Cpu });
        var (features, skipped) = ImageFeaturizer.Run(backbone, [tmp.Sub("wide.png"), tmp.Sub("wider.png")], batch: 2);
        Assert.All(skipped, s => Assert.Null(s));
        Assert.Equal(2 * backbone.FeatureLength, features.Length);
        Assert.All(features, v => Assert.True(float.IsFinite(v)));
    }
}
