using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

namespace Pipeline.Extractor.Images;

/// <summary>
/// Decoded RGBA pixels (alpha ignored) → one image slot of the backbone's input tensor: resize (separable
/// triangle filter, antialiased when shrinking) and normalise, fused, writing straight into the
/// batch buffer.
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

    /// <summary>Scale / std per tensor element, in tensor layout: what the classifier export multiplies by.</summary>
    internal ReadOnlySpan<float> ScalePlane => _scalePlane;

    /// <summary>-mean / std per tensor element, in tensor layout: what the classifier export adds.</summary>
    internal ReadOnlySpan<float> OffsetPlane => _offsetPlane;

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
    /// Fast path: separable triangle filter, the vertical pass first over the source rows it needs
    /// (widened to float once, vectorised with <see cref="TensorPrimitives"/>), then the horizontal pass
    /// on the dstH filtered rows only, then one fused multiply-add. Allocates nothing once
    /// <paramref name="scratch"/> has grown to the largest image seen.
    /// </summary>
    public void Run(DecodedImage image, Span<float> slot, PreprocessScratch scratch, ViewTransform? view = null) =>
        Run(image.Pixels, image.Width, image.Height, slot, scratch, view);

    /// <param name="view">An augmented view or mirror, drawn from the resized image; null for the clean image.</param>
    public void Run(ReadOnlySpan<byte> rgba, int srcW, int srcH, Span<float> slot, PreprocessScratch scratch, ViewTransform? view = null)
    {
        int dstW = Preprocessing.Width, dstH = Preprocessing.Height;
        var rect = SourceRect(srcW, srcH, dstW, dstH, Preprocessing.Resize);
        var hk = scratch.Horizontal.Build(rect.X, rect.Width, srcW, dstW);
        var vk = scratch.Vertical.Build(rect.Y, rect.Height, srcH, dstH);

        // Source rows the vertical filter reads, widened to float once: (rows, srcW·4) interleaved RGBA, 0–255.
        int rowFirst = vk.Start[0];
        int rowEnd = vk.Start[dstH - 1] + vk.Count[dstH - 1];
        int srcLen = srcW * 4;
        ReadOnlySpan<byte> bytes = rgba;
        Span<float> rows = scratch.Rows((rowEnd - rowFirst) * srcLen);
        Widen.ToSingle(bytes.Slice(rowFirst * srcLen, (rowEnd - rowFirst) * srcLen), rows);

        // Vertical pass first, over whole source rows (vectorised), then the horizontal pass on the
        // dstH filtered rows only: fewer rows through the narrow pass than filtering every source row.
        Span<float> column = scratch.Accumulator(srcLen);       // (srcW, 4) one vertically filtered row, RGBA
        Span<float> rgbRow = scratch.OutputRow(dstW * 3 + 1);   // (dstW, 3) one output row, +1 for 4-lane stores
        int hw = dstW * dstH;
        Span<float> clean = view is null ? default : scratch.Image(hw * 3);   // (dstH, dstW, 3) the clean resized image
        for (int y = 0; y < dstH; y++)
        {
            int start = vk.Start[y], count = vk.Count[y];
            ReadOnlySpan<float> weights = vk.Weights.AsSpan(y * vk.MaxTaps, count);
            Span<float> acc = column[..srcLen];
            TensorPrimitives.Multiply(rows.Slice((start - rowFirst) * srcLen, srcLen), weights[0], acc);
            for (int k = 1; k < count; k++)
            {
                TensorPrimitives.MultiplyAdd(rows.Slice((start + k - rowFirst) * srcLen, srcLen), weights[k], acc, acc);
            }

            HorizontalPass(column, rgbRow, hk, dstW);
            if (view is null)
            {
                Scatter(rgbRow[..(dstW * 3)], slot, y * dstW, hw);
            }
            else
            {
                rgbRow[..(dstW * 3)].CopyTo(clean.Slice(y * dstW * 3, dstW * 3));
            }
        }

        if (view is { } t)
        {
            for (int y = 0; y < dstH; y++)
            {
                WarpRow(clean, dstW, dstH, y, t, rgbRow);
                Scatter(rgbRow[..(dstW * 3)], slot, y * dstW, hw);
            }
        }

        // slot = slot * scale + offset, in place, over the whole image.
        TensorPrimitives.FusedMultiplyAdd(slot[.._scalePlane.Length], _scalePlane, _offsetPlane, slot);
    }

    /// <summary>
    /// One row, (srcW, 4) RGBA → (dstW, 3) RGB: each output pixel is a weighted sum of source pixels,
    /// four channels at once in one 4-lane vector; the alpha lane is stored and then overwritten by
    /// the next pixel (the row has one float to spare).
    /// </summary>
    private static void HorizontalPass(Span<float> src, Span<float> dst, FilterKernel k, int dstW)
    {
        ref float s0 = ref MemoryMarshal.GetReference(src);
        ref float d0 = ref MemoryMarshal.GetReference(dst);
        ref float w0 = ref MemoryMarshal.GetArrayDataReference(k.Weights);
        for (int x = 0; x < dstW; x++)
        {
            int start = k.Start[x], count = k.Count[x];
            ref float w = ref Unsafe.Add(ref w0, x * k.MaxTaps);
            var sum = Vector128<float>.Zero;
            for (int t = 0; t < count; t++)
            {
                sum += Vector128.LoadUnsafe(ref s0, (nuint)((start + t) * 4)) * Unsafe.Add(ref w, t);
            }

            sum.StoreUnsafe(ref d0, (nuint)(x * 3));
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
