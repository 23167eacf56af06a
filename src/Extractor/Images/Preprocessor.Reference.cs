using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pipeline.Extractor.Images;

internal sealed partial class Preprocessor
{
    /// <summary>
    /// Plain scalar version of <see cref="Run(ReadOnlySpan{Rgb24}, int, int, Span{float}, PreprocessScratch)"/>:
    /// for every output value, the 2-D sum over the separable triangle weights, then
    /// <c>(v * Scale - mean) / std</c> written out literally. The fast path is tested against it.
    /// </summary>
    public void RunScalar(ReadOnlySpan<Rgb24> pixels, int srcW, int srcH, Span<float> slot)
    {
        var p = Preprocessing;
        int dstW = p.Width, dstH = p.Height;
        var rect = SourceRect(srcW, srcH, dstW, dstH, p.Resize);
        var hk = new FilterKernel().Build(rect.X, rect.Width, srcW, dstW);
        var vk = new FilterKernel().Build(rect.Y, rect.Height, srcH, dstH);
        for (int y = 0; y < dstH; y++)
        {
            for (int x = 0; x < dstW; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int channel = _sourceChannel[c];
                    double v = 0;
                    for (int ty = 0; ty < vk.Count[y]; ty++)
                    {
                        double rowSum = 0;
                        int sy = vk.Start[y] + ty;
                        for (int tx = 0; tx < hk.Count[x]; tx++)
                        {
                            Rgb24 px = pixels[sy * srcW + hk.Start[x] + tx];
                            byte b = channel == 0 ? px.R : channel == 1 ? px.G : px.B;
                            rowSum += hk.Weights[x * hk.MaxTaps + tx] * b;
                        }

                        v += vk.Weights[y * vk.MaxTaps + ty] * rowSum;
                    }

                    int i = TensorIndex(c, y * dstW + x);
                    slot[i] = (float)((v * _scalePlane[i]) + _offsetPlane[i]);
                }
            }
        }

    }

    /// <summary>
    /// What one writes first with ImageSharp: <c>Resize</c> (Triangle sampler) to a new image,
    /// then a per-pixel normalise loop. The baseline of the preprocessing benchmark.
    /// </summary>
    public void RunWithImageSharpResize(Image<Rgb24> image, Span<float> slot)
    {
        var p = Preprocessing;
        var options = new ResizeOptions
        {
            Size = new Size(p.Width, p.Height),
            Sampler = KnownResamplers.Triangle,
            Mode = p.Resize == ResizeMode.Squash ? SixLabors.ImageSharp.Processing.ResizeMode.Stretch : SixLabors.ImageSharp.Processing.ResizeMode.Crop,
        };
        using var resized = image.Clone(ctx => ctx.Resize(options));
        for (int y = 0; y < p.Height; y++)
        {
            for (int x = 0; x < p.Width; x++)
            {
                Rgb24 px = resized[x, y];
                for (int c = 0; c < 3; c++)
                {
                    int channel = _sourceChannel[c];
                    byte b = channel == 0 ? px.R : channel == 1 ? px.G : px.B;
                    int i = TensorIndex(c, y * p.Width + x);
                    slot[i] = b * _scalePlane[i] + _offsetPlane[i];
                }
            }
        }
    }
}
