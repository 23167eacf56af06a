using SkiaSharp;

namespace Pipeline.Extractor.Images;

/// <summary>Small JPEG previews for reports, through the same hardened decoder as extraction (bombs, truncation, EXIF rotation).</summary>
internal static class Thumbnail
{
    /// <summary>A JPEG whose longer side is at most <paramref name="size"/> pixels, or null when the file is missing or not a readable image.</summary>
    public static byte[]? Jpeg(string path, int size = 160, int quality = 80)
    {
        try
        {
            var decoder = new ImageDecoder(size, size);
            var image = new DecodedImage();
            decoder.ReadFile(path, stackalloc byte[32]);
            decoder.Decode(image);
            double scale = Math.Min(1.0, (double)size / Math.Max(image.Width, image.Height));
            int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
            var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            unsafe
            {
                fixed (byte* pixels = image.Pixels)
                {
                    using var source = new SKPixmap(info, (nint)pixels, image.Width * 4);
                    using var small = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                    source.ScalePixels(small.PeekPixels(), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
                    using var data = small.Encode(SKEncodedImageFormat.Jpeg, quality);
                    return data.ToArray();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidImageException)
        {
            return null;
        }
    }
}
