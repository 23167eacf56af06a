using System.Numerics.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Extractor.Images;

/// <summary>
/// Decoded RGB24 pixels → one image slot of the backbone's input tensor: resize (triangle filter,
/// antialiased when shrinking) and normalise, fused, writing straight into the batch buffer.
/// Normalisation is one fused multiply-add over the slot: <c>x * scalePlane + offsetPlane</c>,
/// where both planes are precomputed in tensor order (they fold scale, mean or mean image, and std).
/// </summary>
internal sealed partial class Preprocessor
{
    private readonly float[] _scalePlane;   // (3·H·W) in tensor order: Scale / Std[c]
    private readonly float[] _offsetPlane;  // (3·H·W) in tensor order: -mean(c, p) / Std[c]
    private readonly int[] _sourceChannel;  // tensor channel c reads RGB channel _sourceChannel[c]

    public Preprocessor(Preprocessing preprocessing, float[]? meanImage = null)
    {
        Preprocessing = preprocessing;
        int w = preprocessing.Width, h = preprocessing.Height, hw = w * h;
        if (meanImage is not null && meanImage.Length != 3 * hw)
        {
            throw new ArgumentException($"mean image has {meanImage.Length} values, expected 3x{h}x{w} = {3 * hw}", nameof(meanImage));
        }

        _sourceChannel = preprocessing.ColorOrder == ColorOrder.Rgb ? [0, 1, 2] : [2, 1, 0];
        _scalePlane = new float[3 * hw];
        _offsetPlane = new float[3 * hw];
        for (int c = 0; c < 3; c++)
        {
            float std = preprocessing.Std[c];
            for (int p = 0; p < hw; p++)
            {
                // meanImage is (C, H, W) in tensor channel order.
                float mean = meanImage is null ? preprocessing.Mean[c] : meanImage[c * hw + p];
                int i = TensorIndex(c, p);
                _scalePlane[i] = preprocessing.Scale / std;
                _offsetPlane[i] = -mean / std;
            }
        }
    }

    public Preprocessing Preprocessing { get; }

    /// <summary>Floats one image takes in the input tensor: 3·H·W.</summary>
    public int SlotLength => _scalePlane.Length;

    private int TensorIndex(int channel, int pixel) => Preprocessing.Layout == TensorLayout.Nchw
        ? channel * Preprocessing.Width * Preprocessing.Height + pixel
        : pixel * 3 + channel;

    /// <summary>The part of the source image that maps onto the output, per <see cref="ResizeMode"/>.</summary>
    internal static (double X, double Y, double Width, double Height) SourceRect(int srcW, int srcH, int dstW, int dstH, ResizeMode mode)
    {
        if (mode == ResizeMode.Squash)
        {
            return (0, 0, srcW, srcH);
        }

        // Crop: scale the shorter side to fit, take the centre: the source rect has the output's aspect.
        double scale = Math.Min((double)srcW / dstW, (double)srcH / dstH);
        double w = dstW * scale, h = dstH * scale;
        return ((srcW - w) / 2, (srcH - h) / 2, w, h);
    }

    /// <summary>
    /// Fast path: separable triangle filter (horizontal pass on bytes, vertical pass with
    /// <see cref="TensorPrimitives"/>), then one fused multiply-add. Allocates nothing once
    /// <paramref name="scratch"/> has grown to the largest image seen.
    /// </summary>
    public void Run(Image<Rgb24> image, Span<float> slot, PreprocessScratch scratch)
    {
        if (!image.DangerousTryGetSinglePixelMemory(out Memory<Rgb24> memory))
        {
            throw new InvalidOperationException("image buffer is not contiguous; the decoder configuration must prefer contiguous buffers");
        }

        Run(memory.Span, image.Width, image.Height, slot, scratch);
    }

    public void Run(ReadOnlySpan<Rgb24> pixels, int srcW, int srcH, Span<float> slot, PreprocessScratch scratch)
    {
        int dstW = Preprocessing.Width, dstH = Preprocessing.Height;
        var rect = SourceRect(srcW, srcH, dstW, dstH, Preprocessing.Resize);
        var hk = scratch.Horizontal.Build(rect.X, rect.Width, srcW, dstW);
        var vk = scratch.Vertical.Build(rect.Y, rect.Height, srcH, dstH);

        // Source rows the vertical filter reads.
        int rowFirst = vk.Start[0];
        int rowEnd = vk.Start[dstH - 1] + vk.Count[dstH - 1];
        int rowLen = dstW * 3;
        Span<float> rows = scratch.Rows((rowEnd - rowFirst) * rowLen);   // (rows, dstW, 3) interleaved RGB, 0–255

        ReadOnlySpan<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels);
        for (int y = rowFirst; y < rowEnd; y++)
        {
            HorizontalPass(bytes.Slice(y * srcW * 3, srcW * 3), rows.Slice((y - rowFirst) * rowLen, rowLen), hk);
        }

        Span<float> acc = scratch.Accumulator(rowLen);                   // (dstW, 3) one output row
        int hw = dstW * dstH;
        for (int y = 0; y < dstH; y++)
        {
            acc.Clear();
            int start = vk.Start[y], count = vk.Count[y];
            ReadOnlySpan<float> weights = vk.Weights.AsSpan(y * vk.MaxTaps, count);
            for (int k = 0; k < count; k++)
            {
                TensorPrimitives.MultiplyAdd(rows.Slice((start + k - rowFirst) * rowLen, rowLen), weights[k], acc, acc);
            }

            Scatter(acc, slot, y * dstW, hw);
        }

        // slot = slot * scale + offset, in place, over the whole image.
        TensorPrimitives.FusedMultiplyAdd(slot[.._scalePlane.Length], _scalePlane, _offsetPlane, slot);
    }

    private static void HorizontalPass(ReadOnlySpan<byte> src, Span<float> dst, FilterKernel k)
    {
        int taps = k.MaxTaps;
        for (int x = 0; x < dst.Length / 3; x++)
        {
            int start = k.Start[x], count = k.Count[x];
            ReadOnlySpan<float> w = k.Weights.AsSpan(x * taps, count);
            ReadOnlySpan<byte> s = src.Slice(start * 3, count * 3);
            float r = 0, g = 0, b = 0;
            for (int t = 0; t < count; t++)
            {
                r += w[t] * s[3 * t];
                g += w[t] * s[3 * t + 1];
                b += w[t] * s[3 * t + 2];
            }

            dst[3 * x] = r;
            dst[3 * x + 1] = g;
            dst[3 * x + 2] = b;
        }
    }

    /// <summary>One output row of interleaved RGB into the tensor's layout and channel order.</summary>
    private void Scatter(ReadOnlySpan<float> rgbRow, Span<float> slot, int pixelOffset, int hw)
    {
        int n = rgbRow.Length / 3;
        int c0 = _sourceChannel[0], c1 = _sourceChannel[1], c2 = _sourceChannel[2];
        if (Preprocessing.Layout == TensorLayout.Nchw)
        {
            Span<float> p0 = slot.Slice(pixelOffset, n), p1 = slot.Slice(hw + pixelOffset, n), p2 = slot.Slice(2 * hw + pixelOffset, n);
            for (int x = 0; x < n; x++)
            {
                p0[x] = rgbRow[3 * x + c0];
                p1[x] = rgbRow[3 * x + c1];
                p2[x] = rgbRow[3 * x + c2];
            }
        }
        else
        {
            Span<float> d = slot.Slice(pixelOffset * 3, n * 3);
            for (int x = 0; x < n; x++)
            {
                d[3 * x] = rgbRow[3 * x + c0];
                d[3 * x + 1] = rgbRow[3 * x + c1];
                d[3 * x + 2] = rgbRow[3 * x + c2];
            }
        }
    }
}
