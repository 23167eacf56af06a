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
    private readonly ResizeMode _resize;
    private byte[] _file = new byte[1 << 16];

    /// <param name="targetWidth">Network input width: the decoder never scales below it (0: always full size).</param>
    /// <param name="targetHeight">Network input height.</param>
    /// <param name="maxPixels">Largest width × height a header may claim.</param>
    /// <param name="resize">How the preprocessor maps the image onto the target: what an extreme aspect ratio may drop.</param>
    public ImageDecoder(int targetWidth = 0, int targetHeight = 0, long maxPixels = DefaultMaxPixels, ResizeMode resize = ResizeMode.Squash)
    {
        _targetWidth = targetWidth;
        _targetHeight = targetHeight;
        _resize = resize;
        MaxPixels = maxPixels;
    }

    public ImageDecoder(Preprocessing target, long maxPixels = DefaultMaxPixels)
        : this(target.Width, target.Height, maxPixels, target.Resize)
    {
    }

    public long MaxPixels { get; }

    /// <summary>Bytes of the last file read.</summary>
    public ReadOnlySpan<byte> FileBytes => _file.AsSpan(0, FileLength);

    public int FileLength { get; private set; }

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
            DecodeStreaming(codec, Plan(w, h, swapsAxes), into);
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
}
