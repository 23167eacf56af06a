using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Tests.Support;

/// <summary>Broken and odd-but-valid image files, made for real on disk.</summary>
internal static class BadImages
{
    /// <summary>A real JPEG whose headers survive but whose Huffman tables and scan data are scrambled.</summary>
    public static void Corrupt(string source, string path)
    {
        var bytes = File.ReadAllBytes(source);
        int scan = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xC4]);   // first Huffman table
        for (int i = scan + 4; i < bytes.Length - 2; i++)
        {
            bytes[i] = (byte)(i * 7919 % 251);
        }

        File.WriteAllBytes(path, bytes);
    }

    public static void Empty(string path) => File.WriteAllBytes(path, []);

    public static void TextWithImageName(string path) => File.WriteAllText(path, "this is not an image, just text with a .jpg name\n");

    /// <summary>The first half of a real JPEG: ImageSharp would decode it without error.</summary>
    public static void Truncated(string source, string path)
    {
        var bytes = File.ReadAllBytes(source);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
    }

    /// <summary>A valid PNG whose header claims width × height pixels, with almost no data behind it.</summary>
    public static void PngBomb(string path, int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;    // bit depth
        ihdr[9] = 2;    // RGB
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(ms, "IEND", []);
        File.WriteAllBytes(path, ms.ToArray());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>A real photo re-encoded as grayscale, 16-bit, alpha, GIF, BMP, WebP and EXIF-rotated files.</summary>
    public static IReadOnlyList<string> OddButValid(string source, string dir)
    {
        using var photo = Image.Load<Rgb24>(source);
        var files = new List<string>();
        string P(string name) { var p = Path.Combine(dir, name); files.Add(p); return p; }

        using (var gray = photo.CloneAs<L8>())
        {
            gray.SaveAsPng(P("gray.png"));
            gray.SaveAsJpeg(P("gray.jpg"));
        }

        using (var deep = photo.CloneAs<Rgb48>())
        {
            deep.SaveAsPng(P("deep16.png"), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        }

        using (var alpha = photo.CloneAs<Rgba32>())
        {
            alpha[0, 0] = new Rgba32(0, 0, 0, 0);
            alpha.SaveAsPng(P("alpha.png"), new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        }

        photo.SaveAsGif(P("photo.gif"));
        photo.SaveAsBmp(P("photo.bmp"));
        photo.SaveAsWebp(P("photo.webp"));
        using (var rotated = photo.Clone())
        {
            rotated.Metadata.ExifProfile = new ExifProfile();
            rotated.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
            rotated.SaveAsJpeg(P("rotated.jpg"), new JpegEncoder { Quality = 90 });
        }

        return files;
    }

    /// <summary>A CMYK JPEG written by Pillow (ImageSharp 2 cannot encode CMYK).</summary>
    public static string CmykJpeg(string source, string path)
    {
        var result = Python.Run("""
            import sys
            from PIL import Image
            Image.open(sys.argv[1]).convert("CMYK").save(sys.argv[2], "JPEG", quality=90)
            """, source, path);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("python3-pil is needed to write a CMYK JPEG (.ci/run installs it): " + result.Stderr);
        }

        return path;
    }
}
