using SkiaSharp;

namespace Pipeline.Extractor.Images;

/// <summary>EXIF orientation (tags 1–8) applied to decoded RGBA pixels, so the image stands as a person sees it.</summary>
internal static class Orientation
{
    /// <summary>Turns or mirrors <paramref name="image"/> in place (through its spare buffer); nothing for <c>TopLeft</c>.</summary>
    public static void Apply(DecodedImage image, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft || (int)origin is < 1 or > 8)
        {
            return;
        }

        int w = image.Width, h = image.Height;
        bool swaps = SwapsAxes(origin);
        int dw = swaps ? h : w, dh = swaps ? w : h;
        ReadOnlySpan<uint> src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(image.Pixels);
        Span<uint> dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(image.Spare(w * h * 4));
        for (int y = 0; y < dh; y++)
        {
            for (int x = 0; x < dw; x++)
            {
                var (sx, sy) = Source(origin, x, y, w, h);
                dst[(y * dw) + x] = src[(sy * w) + sx];
            }
        }

        image.SwapWithSpare(dw, dh);
    }

    /// <summary>Whether the turned image's width is the stored height (orientations 5–8: a quarter turn or a transpose).</summary>
    public static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>The stored pixel shown at (x, y) of the turned image; (w, h) is the stored size.</summary>
    internal static (int X, int Y) Source(SKEncodedOrigin origin, int x, int y, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => (w - 1 - x, y),              // 2: mirrored
        SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),   // 3: turned 180°
        SKEncodedOrigin.BottomLeft => (x, h - 1 - y),            // 4: flipped
        SKEncodedOrigin.LeftTop => (y, x),                       // 5: transposed
        SKEncodedOrigin.RightTop => (y, h - 1 - x),              // 6: shown turned 90° clockwise
        SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),   // 7: transversed
        SKEncodedOrigin.LeftBottom => (w - 1 - y, x),            // 8: shown turned 90° anticlockwise
        _ => (x, y),
    };
}
