using SkiaSharp;

namespace Pipeline.Extractor.Images;

internal sealed partial class ImageDecoder
{
    /// <summary>Longest side a uniform box reduction may leave, in target sides; past it the long side is windowed (crop) or reduced further (squash).</summary>
    internal const int MaxAspect = 8;

    private byte[] _row = [];
    private uint[] _sums = [];

    /// <summary>Bytes of the decoder's own reused buffers (file, row, sums): bounded after an outsized image (see <see cref="ScratchBuffer"/>).</summary>
    internal long ScratchBytes => _file.Length + _row.Length + (_sums.Length * 4L);

    /// <summary>
    /// The streaming decode's window and box factors. A uniform factor k (largest with (w/k, h/k) still covering the
    /// target) keeps the aspect ratio; when that leaves the long side over <see cref="MaxAspect"/> target sides (a
    /// 999999×100 strip keeps all 999999 columns at k = 1), memory is bounded by the output instead: with
    /// <see cref="ResizeMode.Crop"/> only the centre reaches the output, so the window is the crop's source rect and as
    /// much again around it (the filter's reach), then reduced uniformly; with <see cref="ResizeMode.Squash"/> each axis
    /// is reduced on its own (squash stretches each axis on its own anyway).
    /// </summary>
    private BoxPlan Plan(int w, int h, bool swapsAxes)
    {
        if (_targetWidth <= 0)
        {
            return new BoxPlan(0, 0, w, h, 1, 1);
        }

        int tw = swapsAxes ? _targetHeight : _targetWidth, th = swapsAxes ? _targetWidth : _targetHeight;
        int k = Math.Max(1, Math.Min(w / tw, h / th));
        if (w / k <= (long)MaxAspect * tw && h / k <= (long)MaxAspect * th)
        {
            return new BoxPlan(0, 0, w, h, k, k);
        }

        if (_resize == ResizeMode.Squash)
        {
            return new BoxPlan(0, 0, w, h, Math.Max(1, w / tw), Math.Max(1, h / th));
        }

        var (_, _, cw, ch) = Preprocessor.SourceRect(w, h, tw, th, ResizeMode.Crop);
        int ww = (int)Math.Min(w, Math.Ceiling(cw * 2)), wh = (int)Math.Min(h, Math.Ceiling(ch * 2));
        ww += (w - ww) % 2;   // same parity as w: the window's centre is the image's
        wh += (h - wh) % 2;
        int kw = Math.Max(1, Math.Min(ww / tw, wh / th));
        return new BoxPlan((w - ww) / 2, (h - wh) / 2, ww, wh, kw, kw);
    }

    /// <summary>
    /// Decodes a large image that the codec cannot scale (PNG, BMP) one row at a time, averaging
    /// each box of <paramref name="plan"/>'s window as the rows come: memory is one source row plus the
    /// planned output, whatever the file claims and whatever its aspect ratio. Formats that cannot
    /// stream (GIF, interlaced PNG) are refused rather than allowed to allocate the whole canvas.
    /// </summary>
    private unsafe void DecodeStreaming(SKCodec codec, BoxPlan plan, DecodedImage into)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        if (codec.EncodedFormat == SKEncodedImageFormat.Png)
        {
            using var png = PngRowReader.TryOpen(_file.AsMemory(0, FileLength))
                ?? throw new InvalidImageException($"PNG of {w}x{h} (interlaced or under 8 bits) needs {(long)w * h * 4 >> 20} MB to decode, over the {FullDecodeBudgetBytes >> 20} MB limit per image");
            BoxReduce(w, h, plan, bottomUp: false, into, row => png.ReadRow(row));
            return;
        }

        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var start = codec.StartScanlineDecode(info);
        if (start != SKCodecResult.Success)
        {
            throw new InvalidImageException(start == SKCodecResult.Unimplemented
                ? $"{codec.EncodedFormat} image of {w}x{h} needs {(long)w * h * 4 >> 20} MB to decode, over the {FullDecodeBudgetBytes >> 20} MB limit per image"
                : $"cannot decode ({start})");
        }

        bool bottomUp = codec.ScanlineOrder == SKCodecScanlineOrder.BottomUp;
        if (!bottomUp && codec.ScanlineOrder != SKCodecScanlineOrder.TopDown)
        {
            throw new InvalidImageException($"cannot stream a {codec.EncodedFormat} image in {codec.ScanlineOrder} order");
        }

        BoxReduce(w, h, plan, bottomUp, into, row =>
        {
            fixed (byte* p = row)
            {
                if (codec.GetScanlines((IntPtr)p, 1, w * 4) != 1)
                {
                    throw new InvalidImageException("truncated image (the data ends before the last row)");
                }
            }
        });
    }

    private delegate void RowSource(Span<byte> row);

    /// <summary>Pulls h rows of w RGBA pixels from <paramref name="next"/>, averaging the window's Kx × Ky boxes into <paramref name="into"/>.</summary>
    private void BoxReduce(int w, int h, BoxPlan plan, bool bottomUp, DecodedImage into, RowSource next)
    {
        int outW = plan.OutWidth, outH = plan.OutHeight, kx = plan.Kx, ky = plan.Ky;
        Span<byte> output = into.Resize(outW, outH);
        Span<byte> row = ScratchBuffer.Fit(ref _row, checked(w * 4));
        Span<uint> sums = ScratchBuffer.Fit(ref _sums, outW * 4);
        uint area = (uint)(kx * ky);
        int used = outH * ky;
        for (int i = 0; i < h; i++)
        {
            // Every row is read, in or out of the window, so a file cut after the window is still reported as cut.
            next(row);
            int y = (bottomUp ? h - 1 - i : i) - plan.Y0;
            if (y < 0 || y >= used)
            {
                continue;
            }

            if (y % ky == (bottomUp ? ky - 1 : 0))
            {
                sums.Clear();
            }

            AddRow(row.Slice(plan.X0 * 4, outW * kx * 4), sums, kx, outW);
            if (y % ky == (bottomUp ? 0 : ky - 1))
            {
                Span<byte> dst = output.Slice(y / ky * outW * 4, outW * 4);
                for (int j = 0; j < dst.Length; j++)
                {
                    dst[j] = (byte)((sums[j] + (area / 2)) / area);
                }
            }
        }
    }

    /// <summary>Adds one source row's k-pixel groups into the per-output-pixel channel sums.</summary>
    private static void AddRow(ReadOnlySpan<byte> row, Span<uint> sums, int k, int outW)
    {
        for (int x = 0; x < outW; x++)
        {
            ReadOnlySpan<byte> group = row.Slice(x * k * 4, k * 4);
            uint r = 0, g = 0, b = 0, a = 0;
            for (int t = 0; t < group.Length; t += 4)
            {
                r += group[t];
                g += group[t + 1];
                b += group[t + 2];
                a += group[t + 3];
            }

            sums[x * 4] += r;
            sums[(x * 4) + 1] += g;
            sums[(x * 4) + 2] += b;
            sums[(x * 4) + 3] += a;
        }
    }
}
