namespace Pipeline.Extractor.Images;

/// <summary>
/// Where output pixel (x, y) of a view samples the clean resized image:
/// <c>sx = A·x + B·y + C, sy = D·x + E·y + F</c> (pixel-centre coordinates).
/// </summary>
internal readonly record struct ViewTransform(float A, float B, float C, float D, float E, float F)
{
    /// <summary>The horizontal mirror of a w-wide image.</summary>
    public static ViewTransform Mirror(int w) => new(-1, 0, w - 1, 0, 1, 0);

    /// <summary>
    /// The inverse of: mirror (optional), zoom (zx, zy), shear, rotation θ, all about the centre,
    /// then a shift (tx, ty) in pixels.
    /// </summary>
    public static ViewTransform Affine(int w, int h, bool flip, double theta, double tx, double ty, double shear, double zx, double zy)
    {
        // Forward linear part L = R(θ) · Sh · Z · Flip.
        double cos = Math.Cos(theta), sin = Math.Sin(theta), f = flip ? -1 : 1;
        double l00 = (cos * zx) * f, l01 = cos * shear * zy - sin * zy;
        double l10 = (sin * zx) * f, l11 = sin * shear * zy + cos * zy;
        double det = l00 * l11 - l01 * l10;
        double i00 = l11 / det, i01 = -l01 / det, i10 = -l10 / det, i11 = l00 / det;
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;

        // src = L⁻¹ (dst − c − t) + c
        double ox = -(cx + tx), oy = -(cy + ty);
        return new(
            (float)i00, (float)i01, (float)(i00 * ox + i01 * oy + cx),
            (float)i10, (float)i11, (float)(i10 * ox + i11 * oy + cy));
    }
}
