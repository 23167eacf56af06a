using System.Buffers.Binary;
using System.Text;

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
    public static void PngBomb(string path, int width, int height) =>
        File.WriteAllBytes(path, Png(width, height, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));

    /// <summary>An 8-bit RGB PNG file: signature, IHDR for width × height, one IDAT of <paramref name="zlibData"/>, IEND.</summary>
    internal static byte[] Png(int width, int height, byte[] zlibData)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;    // bit depth
        ihdr[9] = 2;    // RGB
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", zlibData);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>The bytes of <paramref name="photo"/> re-encoded by Pillow in <paramref name="format"/>, for a test to damage.</summary>
    internal static byte[] ReencodedBytes(string photo, string format, string scratchPath)
    {
        Reencode(photo, scratchPath, format);
        var bytes = File.ReadAllBytes(scratchPath);
        File.Delete(scratchPath);
        return bytes;
    }

    internal static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    internal static uint Crc32(ReadOnlySpan<byte> data)
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

    /// <summary>
    /// A real photo re-encoded by Pillow as grayscale (PNG, JPEG), 16-bit RGB PNG, RGBA PNG, GIF,
    /// BMP, WebP and an EXIF-rotated JPEG (orientation 6): files from another encoder than ours.
    /// </summary>
    public static IReadOnlyList<string> OddButValid(string source, string dir)
    {
        string[] names = ["gray.png", "gray.jpg", "deep16.png", "alpha.png", "photo.gif", "photo.bmp", "photo.webp", "rotated.jpg"];
        Pillow("""
            import sys, os
            import numpy as np
            from PIL import Image
            src, d = sys.argv[1], sys.argv[2]
            im = Image.open(src).convert("RGB")
            p = lambda n: os.path.join(d, n)
            im.convert("L").save(p("gray.png")); im.convert("L").save(p("gray.jpg"), quality=90)
            a = np.asarray(im).astype(">u2") * 257
            h, w, _ = a.shape
            import zlib, struct
            raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))
            def chunk(t, data): return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
            open(p("deep16.png"), "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
            rgba = im.convert("RGBA"); rgba.putpixel((0, 0), (0, 0, 0, 0)); rgba.save(p("alpha.png"))
            im.save(p("photo.gif")); im.save(p("photo.bmp")); im.save(p("photo.webp"), quality=90)
            exif = Image.Exif(); exif[0x0112] = 6
            im.save(p("rotated.jpg"), quality=90, exif=exif.tobytes())
            """, source, dir);
        return names.Select(n => Path.Combine(dir, n)).ToList();
    }

    /// <summary>A CMYK JPEG written by Pillow.</summary>
    public static string CmykJpeg(string source, string path)
    {
        Pillow("""
            import sys
            from PIL import Image
            Image.open(sys.argv[1]).convert("CMYK").save(sys.argv[2], "JPEG", quality=90)
            """, source, path);
        return path;
    }

    /// <summary>The photo re-encoded by Pillow in <paramref name="format"/> (PNG, BMP, WEBP, GIF), optionally upscaled to width × height.</summary>
    public static string Reencode(string source, string path, string format, int width = 0, int height = 0, int quality = 92)
    {
        Pillow("""
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1]).convert("RGB")
            w, h = int(sys.argv[4]), int(sys.argv[5])
            if w: im = im.resize((w, h), Image.BICUBIC)
            im.save(sys.argv[2], sys.argv[3], quality=int(sys.argv[6]))
            """, source, path, format, width.ToString(), height.ToString(), quality.ToString());
        return path;
    }

    /// <summary>The photo decoded and resized by Pillow (bilinear, antialiased), as (224·224·3) RGB bytes.</summary>
    public static byte[] PillowResized(string source, int width, int height, bool crop)
    {
        var r = Python.Run("""
            import sys
            from PIL import Image
            im = Image.open(sys.argv[1]).convert("RGB")
            w, h = int(sys.argv[2]), int(sys.argv[3])
            if sys.argv[4] == "1":
                s = min(im.width / w, im.height / h); cw, ch = w * s, h * s
                box = ((im.width - cw) / 2, (im.height - ch) / 2, (im.width + cw) / 2, (im.height + ch) / 2)
            else:
                box = None
            sys.stdout.write(im.resize((w, h), Image.BILINEAR, box=box).tobytes().hex())
            """, source, width.ToString(), height.ToString(), crop ? "1" : "0");
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("python3-pil is needed (.ci/run installs it): " + r.Stderr);
        }

        return Convert.FromHexString(r.Stdout.Trim());
    }

    internal static void Pillow(string script, params string[] args)
    {
        var result = Python.Run(script, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("python3-pil and python3-numpy are needed to write test images (.ci/run installs them): " + result.Stderr);
        }
    }

    /// <summary>Decodes a file at full size with the tool's decoder (no target, so no decoder scaling).</summary>
    public static Pipeline.Extractor.Images.DecodedImage DecodeFull(string path)
    {
        var decoder = new Pipeline.Extractor.Images.ImageDecoder();
        var image = new Pipeline.Extractor.Images.DecodedImage();
        decoder.ReadFile(path, new byte[32]);
        decoder.Decode(image);
        return image;
    }

    /// <summary>A file as the network would see it: decoded for <paramref name="pre"/>'s target (decoder scaling on), then preprocessed into one input slot.</summary>
    public static float[] PreprocessedSlot(Pipeline.Extractor.Images.Preprocessor pre, string path)
    {
        var decoder = new Pipeline.Extractor.Images.ImageDecoder(pre.Preprocessing);
        var image = new Pipeline.Extractor.Images.DecodedImage();
        decoder.ReadFile(path, new byte[32]);
        decoder.Decode(image);
        var slot = new float[pre.SlotLength];
        pre.Run(image, slot, new Pipeline.Extractor.Images.PreprocessScratch());
        return slot;
    }
}
