using System.Buffers.Binary;
using System.IO.Compression;

namespace Pipeline.Tests.Support;

/// <summary>
/// Hostile files from the red-team report (issue 12), made on disk from the shared photos or from
/// bytes: nothing hostile is committed.
/// </summary>
internal static class HostileFiles
{
    /// <summary>A real PNG whose zlib stream is scrambled, with the IDAT CRC recomputed so the chunk looks valid.</summary>
    public static void PngCorruptZlib(string photo, string path)
    {
        var bytes = BadImages.ReencodedBytes(photo, "PNG", path + ".src");
        int idat = bytes.AsSpan().IndexOf("IDAT"u8);
        int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(idat - 4));
        // Keep the 2-byte zlib header, set the first deflate block to the reserved type 3 and scramble the rest.
        var data = bytes.AsSpan(idat + 4, length);
        data[2] = 0xFF;
        for (int i = 3; i < Math.Min(length, 4000); i++)
        {
            data[i] = (byte)(i * 7919 % 251);
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(idat + 4 + length), BadImages.Crc32(bytes.AsSpan(idat, length + 4)));
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The first half of a file re-encoded by Pillow in <paramref name="format"/>.</summary>
    public static void CutInHalf(string photo, string path, string format)
    {
        var bytes = BadImages.ReencodedBytes(photo, format, path + ".src");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
    }

    /// <summary>
    /// A WebP whose VP8 frame header is scrambled (chunk size, frame tag, start code). Bit errors
    /// deep inside a VP8 stream carry no checksum and decode to a wrong picture in every decoder;
    /// what can be caught is a broken structure.
    /// </summary>
    public static void WebpCorrupt(string photo, string path)
    {
        var bytes = BadImages.ReencodedBytes(photo, "WEBP", path + ".src");
        for (int i = 20; i < 40; i++)
        {
            bytes[i] = (byte)(i * 7919 % 251);
        }

        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A real JPEG whose SOF header is patched to claim width × height.</summary>
    public static void JpegClaiming(string photo, string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(photo);
        int sof = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        if (sof < 0)
        {
            sof = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xC2]);
        }

        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), (ushort)width);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A 24-bit BMP header claiming width × height with only <paramref name="dataBytes"/> of pixels behind it.</summary>
    public static void BmpClaiming(string path, int width, int height, int dataBytes)
    {
        var b = new byte[54 + dataBytes];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);
        new Random(1).NextBytes(b.AsSpan(54));
        File.WriteAllBytes(path, b);
    }

    /// <summary>A real BMP cut short of what its header says.</summary>
    public static void BmpShort(string photo, string path)
    {
        var bytes = BadImages.ReencodedBytes(photo, "BMP", path + ".src");
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
    }

    /// <summary>A valid width × height 8-bit RGB PNG of zeros: tiny on disk, huge decoded.</summary>
    public static void PngOfZeros(string path, int width, int height)
    {
        using var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + (width * 3)];
            for (int y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        File.WriteAllBytes(path, BadImages.Png(width, height, z.ToArray()));
    }

    /// <summary>An 11 KB GIF: a width × height canvas and <paramref name="frames"/> one-pixel frames.</summary>
    public static void GifManyFrames(string path, int width, int height, int frames)
    {
        using var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        Span<byte> screen = stackalloc byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(screen, (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(screen[2..], (ushort)height);
        ms.Write(screen);   // no global colour table
        Span<byte> desc = stackalloc byte[10];
        for (int f = 0; f < frames; f++)
        {
            desc[0] = 0x2C;
            BinaryPrimitives.WriteUInt16LittleEndian(desc[1..], (ushort)(f % width));
            BinaryPrimitives.WriteUInt16LittleEndian(desc[3..], (ushort)(f % height));
            BinaryPrimitives.WriteUInt16LittleEndian(desc[5..], 1);
            BinaryPrimitives.WriteUInt16LittleEndian(desc[7..], 1);
            desc[9] = 0x80;   // local colour table of 2 entries
            ms.Write(desc);
            ms.Write([0, 0, 0, 255, 255, 255]);
            ms.Write([2, 2, 0x44, 0x01, 0]);   // LZW min code 2; codes clear, 0, end
        }

        ms.WriteByte(0x3B);
        File.WriteAllBytes(path, ms.ToArray());
    }

    /// <summary>A FIFO (named pipe) named like an image: opening it for reading would block forever.</summary>
    public static void Fifo(string path)
    {
        var r = CliProcess.Exec("mkfifo", [path]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("mkfifo failed: " + r.Stderr);
        }
    }
}
