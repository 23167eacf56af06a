namespace Pipeline.Extractor.Images;

internal sealed partial class Preprocessor
{
    /// <summary>
    /// Resamples row <paramref name="y"/> of a view from the clean resized image
    /// (<paramref name="clean"/>, (H, W, 3) interleaved): bilinear, edges repeated (Keras' fill_mode='nearest').
    /// </summary>
    private static void WarpRow(ReadOnlySpan<float> clean, int w, int h, int y, in ViewTransform t, Span<float> row)
    {
        for (int x = 0; x < w; x++)
        {
            float sx = t.A * x + t.B * y + t.C, sy = t.D * x + t.E * y + t.F;
            sx = Math.Clamp(sx, 0, w - 1);
            sy = Math.Clamp(sy, 0, h - 1);
            int x0 = (int)sx, y0 = (int)sy;
            int x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
            float fx = sx - x0, fy = sy - y0;
            int p00 = (y0 * w + x0) * 3, p01 = (y0 * w + x1) * 3, p10 = (y1 * w + x0) * 3, p11 = (y1 * w + x1) * 3;
            for (int c = 0; c < 3; c++)
            {
                float top = clean[p00 + c] + (clean[p01 + c] - clean[p00 + c]) * fx;
                float bottom = clean[p10 + c] + (clean[p11 + c] - clean[p10 + c]) * fx;
                row[x * 3 + c] = top + (bottom - top) * fy;
            }
        }
    }
}
