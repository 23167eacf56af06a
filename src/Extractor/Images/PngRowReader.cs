using System.Buffers.Binary;
using System.IO.Compression;

namespace Pipeline.Extractor.Images;

/// <summary>
/// Streams the rows of a non-interlaced 8- or 16-bit PNG as RGBA, one at a time, for images too
/// large to decode whole (Skia's PNG codec has no scanline mode): memory is two rows, whatever the
/// header claims. zlib errors and missing data surface as <see cref="InvalidImageException"/>.
/// Plain version, no SIMD: it only runs for the rare huge PNG.
/// </summary>
internal sealed class PngRowReader : IDisposable
{
    private readonly ZLibStream _inflater;
    private readonly int _width, _bpp, _colorType, _depth;
    private readonly byte[]? _palette;   // (256, 4) RGBA
    private byte[] _previous, _current;

    private PngRowReader(ReadOnlyMemory<byte> file, int width, int colorType, int depth, byte[]? palette)
    {
        _width = width;
        _colorType = colorType;
        _depth = depth;
        _palette = palette;
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        _bpp = channels * depth / 8;
        _previous = new byte[width * _bpp];
        _current = new byte[width * _bpp];
        _inflater = new ZLibStream(new IdatStream(file), CompressionMode.Decompress);
    }

    /// <summary>A reader for the PNG in <paramref name="file"/>, or null when it is interlaced, below 8 bits, or not a PNG.</summary>
    public static PngRowReader? TryOpen(ReadOnlyMemory<byte> file)
    {
        var f = file.Span;
        if (f.Length < 33 || !f[12..16].SequenceEqual("IHDR"u8))
        {
            return null;
        }

        int width = BinaryPrimitives.ReadInt32BigEndian(f[16..]);
        int depth = f[24], colorType = f[25], interlace = f[28];
        if (interlace != 0 || depth is not (8 or 16) || colorType is not (0 or 2 or 3 or 4 or 6) || (colorType == 3 && depth != 8))
        {
            return null;
        }

        byte[]? palette = null;
        if (colorType == 3)
        {
            palette = new byte[256 * 4];
            foreach (var (type, start, length) in Chunks(f))
            {
                if (type == "PLTE")
                {
                    for (int i = 0; i < length / 3 && i < 256; i++)
                    {
                        f.Slice(start + (i * 3), 3).CopyTo(palette.AsSpan(i * 4));
                        palette[(i * 4) + 3] = 255;
                    }
                }
            }
        }

        return new PngRowReader(file, width, colorType, depth, palette);
    }

    /// <summary>Decodes the next row into <paramref name="rgba"/> (width × 4 bytes).</summary>
    public void ReadRow(Span<byte> rgba)
    {
        try
        {
            int filter = _inflater.ReadByte();
            if (filter < 0)
            {
                throw new InvalidImageException("truncated image (the PNG data ends before the last row)");
            }

            _inflater.ReadExactly(_current);
            Unfilter(filter, _current, _previous, _bpp);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidImageException(e is EndOfStreamException ? "truncated image (the PNG data ends before the last row)" : $"corrupt PNG data ({e.Message})");
        }

        ToRgba(_current, rgba);
        (_previous, _current) = (_current, _previous);
    }

    public void Dispose() => _inflater.Dispose();

    private static void Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> up, int bpp)
    {
        switch (filter)
        {
            case 0:
                return;
            case 1:
                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += row[i - bpp];
                }

                return;
            case 2:
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] += up[i];
                }

                return;
            case 3:
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] += (byte)(((i >= bpp ? row[i - bpp] : 0) + up[i]) >> 1);
                }

                return;
            case 4:
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }

                return;
            default:
                throw new InvalidImageException($"corrupt PNG data (row filter {filter})");
        }
    }

    private void ToRgba(ReadOnlySpan<byte> row, Span<byte> rgba)
    {
        int step = _depth / 8;   // 16-bit samples: keep the high byte
        for (int x = 0; x < _width; x++)
        {
            int s = x * _bpp;
            Span<byte> d = rgba.Slice(x * 4, 4);
            switch (_colorType)
            {
                case 0:
                    d[0] = d[1] = d[2] = row[s];
                    d[3] = 255;
                    break;
                case 2:
                    d[0] = row[s];
                    d[1] = row[s + step];
                    d[2] = row[s + (2 * step)];
                    d[3] = 255;
                    break;
                case 3:
                    _palette.AsSpan(row[s] * 4, 4).CopyTo(d);
                    break;
                case 4:
                    d[0] = d[1] = d[2] = row[s];
                    d[3] = row[s + step];
                    break;
                default:
                    d[0] = row[s];
                    d[1] = row[s + step];
                    d[2] = row[s + (2 * step)];
                    d[3] = row[s + (3 * step)];
                    break;
            }
        }
    }

    private static IEnumerable<(string Type, int Start, int Length)> Chunks(ReadOnlySpan<byte> png)
    {
        var list = new List<(string, int, int)>();
        int at = 8;
        while (at + 8 <= png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png[at..]);
            if (length < 0 || at + 12L + length > png.Length)
            {
                break;
            }

            list.Add((System.Text.Encoding.ASCII.GetString(png.Slice(at + 4, 4)), at + 8, length));
            at += 12 + length;
        }

        return list;
    }

    /// <summary>The concatenated payloads of the IDAT chunks, read in place.</summary>
    private sealed class IdatStream(ReadOnlyMemory<byte> png) : Stream
    {
        private readonly List<(string Type, int Start, int Length)> _chunks = Chunks(png.Span).Where(c => c.Type == "IDAT").ToList();
        private int _chunk, _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_chunk < _chunks.Count && _offset == _chunks[_chunk].Length)
            {
                (_chunk, _offset) = (_chunk + 1, 0);
            }

            if (_chunk == _chunks.Count)
            {
                return 0;
            }

            var (_, start, length) = _chunks[_chunk];
            int n = Math.Min(buffer.Length, length - _offset);
            png.Span.Slice(start + _offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
