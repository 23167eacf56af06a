using System.Security.Cryptography;
using SkiaSharp;

namespace Pipeline.Extractor.Images;

/// <summary>
/// Reads one image file and decodes it to RGBA with Skia (libjpeg-turbo, libpng, libwebp, Skia's
/// GIF and BMP readers), at the smallest size that still covers the network input:
/// <list type="bullet">
/// <item>JPEG and WebP are scaled inside the decoder (JPEG in the DCT domain, by k/8), as PIL's
/// <c>draft</c> does: a 12-megapixel photo decodes at 1/8 and costs little more than a small one.</item>
/// <item>Any other format whose full decode would exceed <see cref="FullDecodeBudgetBytes"/> streams
/// row by row through an integer box filter, so memory stays bounded by the output.</item>
/// </list>
/// Everything a file can do wrong becomes an <see cref="InvalidImageException"/> naming the reason:
/// empty, not a regular file, not an image, a header over <see cref="MaxPixels"/> (refused before any
/// pixel is allocated), truncated or corrupt data in any format. EXIF orientation is applied; grey,
/// CMYK, 16-bit and alpha images decode to the same RGBA. One instance per worker thread: it reuses
/// its file and pixel buffers.
/// </summary>
internal sealed partial class ImageDecoder
{
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>Largest file read as an image; anything bigger is refused unread.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Largest RGBA buffer a full-size decode may take (16 megapixels); beyond it the decoder scales or streams.</summary>
    public const long FullDecodeBudgetBytes = 64L << 20;

    private readonly int _targetWidth, _targetHeight;
    private byte[] _file = new byte[1 << 16];

    /// <param name="targetWidth">Network input width: the decoder never scales below it (0: always full size).</param>
    /// <param name="targetHeight">Network input height.</param>
    /// <param name="maxPixels">Largest width × height a header may claim.</param>
    public ImageDecoder(int targetWidth = 0, int targetHeight = 0, long maxPixels = DefaultMaxPixels)
    {
        _targetWidth = targetWidth;
        _targetHeight = targetHeight;
        MaxPixels = maxPixels;
    }

    public ImageDecoder(Preprocessing target, long maxPixels = DefaultMaxPixels)
        : this(target.Width, target.Height, maxPixels)
    {
    }

    public long MaxPixels { get; }

    /// <summary>Bytes of the last file read.</summary>
    public ReadOnlySpan<byte> FileBytes => _file.AsSpan(0, FileLength);

    public int FileLength { get; private set; }

    /// <summary>
    /// Reads the file into the reusable buffer and hashes it. Only regular files are read: a FIFO,
    /// socket or device reports size 0 and is refused before it is opened, so it cannot block.
    /// </summary>
    public void ReadFile(string path, Span<byte> sha256)
    {
        FileLength = 0;
        var info = RegularFile(path);
        long length = info.Length;   // of the link's target; 0 for FIFOs, sockets and devices
        if (length == 0)
        {
            throw new InvalidImageException("empty file, or not a regular file (FIFO, socket or device)");
        }

        Reserve(length);
        using var handle = File.OpenHandle(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        int read = 0;
        while (read < length)
        {
            int n = RandomAccess.Read(handle, _file.AsSpan(read, (int)length - read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        FileLength = read;
        SHA256.HashData(FileBytes, sha256);
    }

    /// <summary>Takes an encoded image already in memory (predict on bytes or a stream) as <see cref="ReadFile"/> takes a file.</summary>
    public void ReadBytes(ReadOnlySpan<byte> encoded, Span<byte> sha256)
    {
        FileLength = 0;
        if (encoded.IsEmpty)
        {
            throw new InvalidImageException("empty image (0 bytes)");
        }

        Reserve(encoded.Length);
        encoded.CopyTo(_file);
        FileLength = encoded.Length;
        SHA256.HashData(FileBytes, sha256);
    }

    /// <summary>
    /// The file itself, or the final target of a symbolic link to a file (how link farms, DVC and git-annex
    /// checkouts look). A broken link and a loop of links are refused with their reason, never followed forever.
    /// </summary>
    private static FileInfo RegularFile(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            FileSystemInfo? target;
            try
            {
                target = info.ResolveLinkTarget(returnFinalTarget: true);
            }
            catch (IOException)
            {
                throw new InvalidImageException("a loop of symbolic links");
            }

            if (target is null || Directory.Exists(target.FullName) || !File.Exists(target.FullName))
            {
                throw new InvalidImageException("broken link (its target does not exist or is not a file)");
            }

            info = new FileInfo(target.FullName);
        }

        if (!info.Exists)
        {
            throw new InvalidImageException("file vanished or is not a regular file");
        }

        return info;
    }

    /// <summary>Grows the reused file buffer to hold <paramref name="length"/> bytes; refuses files over the per-image limit.</summary>
    private void Reserve(long length)
    {
        if (length > MaxFileBytes)
        {
            throw new InvalidImageException($"file is {length:N0} bytes, over the {MaxFileBytes >> 20} MB limit for one image");
        }

        if (_file.Length < length)
        {
            _file = new byte[Math.Max((int)length, Math.Min(_file.Length * 2, (int)MaxFileBytes))];
        }
    }

    /// <summary>Decodes the bytes read by <see cref="ReadFile"/> into <paramref name="into"/>; throws <see cref="InvalidImageException"/> with the reason.</summary>
    public unsafe void Decode(DecodedImage into)
    {
        if (FileLength == 0)
        {
            throw new InvalidImageException("empty file");
        }

        fixed (byte* file = _file)
        {
            // Wraps the managed bytes without a copy; both objects die before the pin is released.
            using var data = SKData.Create((IntPtr)file, FileLength);
            // The codec owns the stream (Skia frees it, even when the codec cannot be made).
            using var codec = SKCodec.Create(new SKMemoryStream(data), out var opened);
            if (codec is null)
            {
                throw new InvalidImageException(KnownSignature(FileBytes) switch
                {
                    null => "not an image (unknown format)",
                    "TIFF" => "TIFF is not supported (convert it to PNG or JPEG)",
                    var format => $"corrupt {format} (the decoder refused its header: {opened})",
                });
            }

            DecodeWith(codec, into);
        }
    }

    private void DecodeWith(SKCodec codec, DecodedImage into)
    {
        var info = codec.Info;
        int w = info.Width, h = info.Height;
        if (w <= 0 || h <= 0)
        {
            throw new InvalidImageException($"header claims an empty {w}x{h} image");
        }

        if ((long)w * h > MaxPixels)
        {
            throw new InvalidImageException($"header claims {w}x{h} pixels, over the limit of {MaxPixels:N0} (decompression bomb?)");
        }

        // Structural checks on the bytes, before any pixel is decoded for a file that would be refused.
        if ((IsJpeg(FileBytes) ? JpegProblem(FileBytes) : WebpProblem(FileBytes)) is { } problem)
        {
            throw new InvalidImageException(problem);
        }

        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg && (FileLength * 8L) < ((w + 7L) / 8) * ((h + 7L) / 8))
        {
            // Every 8×8 block codes at least one bit (a DC difference; progressive AC runs add none),
            // so a file smaller than blocks/8 bytes cannot hold the size its header claims. libjpeg
            // would fill the missing blocks with grey and report success.
            throw new InvalidImageException($"corrupt JPEG ({FileLength:N0} bytes cannot hold the {w}x{h} pixels its header claims)");
        }

        var origin = codec.EncodedOrigin;
        bool swapsAxes = Orientation.SwapsAxes(origin);
        var scaled = ScaledSize(codec, swapsAxes);
        if ((long)scaled.Width * scaled.Height * 4 <= FullDecodeBudgetBytes)
        {
            DecodeWhole(codec, scaled, into);
        }
        else
        {
            DecodeStreaming(codec, BoxFactor(w, h, swapsAxes), into);
        }

        Orientation.Apply(into, origin);
    }

    /// <summary>
    /// The smallest size the codec can decode to directly (JPEG: k/8 of the full size; WebP: any)
    /// that still covers the target in both directions once EXIF orientation is applied.
    /// </summary>
    private SKSizeI ScaledSize(SKCodec codec, bool swapsAxes)
    {
        var full = codec.Info.Size;
        if (_targetWidth <= 0 || codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
        {
            return full;
        }

        for (int k = 1; k < 8; k++)
        {
            var size = codec.GetScaledDimensions(k / 8f);
            if (size.Width >= full.Width)
            {
                break;
            }

            if (Covers(size.Width, size.Height, swapsAxes))
            {
                return size;
            }
        }

        return full;
    }

    private bool Covers(int width, int height, bool swapsAxes) =>
        swapsAxes ? height >= _targetWidth && width >= _targetHeight : width >= _targetWidth && height >= _targetHeight;

    /// <summary>Largest integer factor k such that (w/k, h/k) still covers the target (1 without a target).</summary>
    private int BoxFactor(int w, int h, bool swapsAxes)
    {
        if (_targetWidth <= 0)
        {
            return 1;
        }

        int tw = swapsAxes ? _targetHeight : _targetWidth, th = swapsAxes ? _targetWidth : _targetHeight;
        return Math.Max(1, Math.Min(w / tw, h / th));
    }

    private static unsafe void DecodeWhole(SKCodec codec, SKSizeI size, DecodedImage into)
    {
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        into.Resize(size.Width, size.Height);
        SKCodecResult result;
        using (var pin = into.Buffer.Pin())
        {
            // Frame 0 only: a GIF's or WebP's later frames are never decoded.
            result = codec.GetPixels(info, (IntPtr)pin.Pointer, info.RowBytes, new SKCodecOptions(0));
        }

        ThrowOnFailure(result);
    }

    private static void ThrowOnFailure(SKCodecResult result)
    {
        switch (result)
        {
            case SKCodecResult.Success:
                return;
            case SKCodecResult.IncompleteInput:
                throw new InvalidImageException("truncated image (the data ends before the last row)");
            case SKCodecResult.ErrorInInput:
                throw new InvalidImageException("corrupt image data");
            default:
                throw new InvalidImageException($"cannot decode ({result})");
        }
    }

    /// <summary>The format a file's first bytes announce, for a reason that says "corrupt JPEG" rather than "not an image".</summary>
    internal static string? KnownSignature(ReadOnlySpan<byte> f) => f switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "PNG",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "GIF",
        [(byte)'B', (byte)'M', ..] => "BMP",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "WebP",
        [(byte)'I', (byte)'I', 42, 0, ..] or [(byte)'M', (byte)'M', 0, 42, ..] => "TIFF",
        _ => null,
    };

    /// <summary>A WebP's RIFF header states its length: a file shorter than that was cut.</summary>
    internal static string? WebpProblem(ReadOnlySpan<byte> file)
    {
        if (KnownSignature(file) != "WebP")
        {
            return null;
        }

        long stated = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(file[4..]) + 8L;
        return stated > file.Length ? $"truncated WebP (the RIFF header says {stated:N0} bytes, the file has {file.Length:N0})" : null;
    }

    private static bool IsJpeg(ReadOnlySpan<byte> file) => file.Length > 2 && file[0] == 0xFF && file[1] == 0xD8;

    /// <summary>
    /// Entropy-coded data never holds FF D9 or FF DA (FF is byte-stuffed), so a complete JPEG has an
    /// end-of-image marker after its last start-of-scan. A file cut between the last scan's data and
    /// its end marker decodes without complaint in some decoders: this catches it in all.
    /// </summary>
    internal static string? JpegProblem(ReadOnlySpan<byte> jpeg)
    {
        int lastScan = jpeg.LastIndexOf([(byte)0xFF, (byte)0xDA]);
        if (lastScan < 0)
        {
            return "corrupt JPEG (no start-of-scan marker)";
        }

        return jpeg[lastScan..].IndexOf([(byte)0xFF, (byte)0xD9]) >= 0 ? null : "truncated JPEG (no end-of-image marker after the last scan)";
    }
}

/// <summary>A file in the dataset that is not a usable image; the message is the reason.</summary>
internal sealed class InvalidImageException(string reason) : Exception(reason)
{
    /// <summary>Whether <paramref name="e"/>, thrown while reading, decoding or preprocessing one file, is that file's problem (anything but cancellation or running out of memory).</summary>
    public static bool IsFileProblem(Exception e) => e is not OperationCanceledException and not OutOfMemoryException;

    /// <summary>The reason a file is skipped, from what reading, decoding or preprocessing it threw: the one wording extract and quantize report.</summary>
    public static string SkipReason(Exception e) => e switch
    {
        InvalidImageException => e.Message,
        IOException or UnauthorizedAccessException => $"unreadable ({e.Message})",
        _ => $"cannot decode ({e.GetType().Name}: {e.Message})",
    };
}
