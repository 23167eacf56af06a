using SkiaSharp;

namespace Pipeline.Extractor.Images;

internal sealed partial class ImageDecoder
{
    private byte[] _row = [];
    private uint[] _sums = [];

    /// <summary>
    /// Decodes a large image that the codec cannot scale (PNG, BMP) one row at a time, averaging
    /// each k×k block: memory is one source row plus the (w/k, h/k) result, whatever the file claims.
    /// The last w mod k columns and h mod k rows (fewer than k) are dropped. Formats that cannot
    /// stream (GIF, interlaced PNG) are refused rather than allowed to allocate the whole canvas.
    /// </summary>
    private unsafe void DecodeStreaming(SKCodec codec, int k, DecodedImage into)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        if (codec.EncodedFormat == SKEncodedImageFormat.Png)
        {
            using var png = PngRowReader.TryOpen(_file.AsMemory(0, FileLength))
                ?? throw new InvalidImageException($"PNG of {w}x{h} (interlaced or under 8 bits) needs {(long)w * h * 4 >> 20} MB to decode, over the {FullDecodeBudgetBytes >> 20} MB limit per image");
            BoxReduce(w, h, k, bottomUp: false, into, row => png.ReadRow(row));
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

        BoxReduce(w, h, k, bottomUp, into, row =>
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

    /// <summary>Pulls h rows of w RGBA pixels from <paramref name="next"/>, averaging k×k blocks into <paramref name="into"/>.</summary>
    private void BoxReduce(int w, int h, int k, bool bottomUp, DecodedImage into, RowSource next)
    {
        int outW = w / k, outH = h / k;
        Span<byte> output = into.Resize(outW, outH);
        if (_row.Length < w * 4)
        {
            _row = new byte[w * 4];
        }

        if (_sums.Length < outW * 4)
        {
            _sums = new uint[outW * 4];
        }

        Span<byte> row = _row.AsSpan(0, w * 4);
        Span<uint> sums = _sums.AsSpan(0, outW * 4);
        uint area = (uint)(k * k);
        for (int i = 0; i < h; i++)
        {
            next(row);
            int y = bottomUp ? h - 1 - i : i;
            if (y >= outH * k)
            {
                continue;
            }

            if (y % k == (bottomUp ? k - 1 : 0))
            {
                sums.Clear();
            }

            AddRow(row, sums, k, outW);
            if (y % k == (bottomUp ? 0 : k - 1))
            {
                Span<byte> dst = output.Slice(y / k * outW * 4, outW * 4);
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
