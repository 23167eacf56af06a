namespace Pipeline.Extractor.Images;

/// <summary>
/// What a streaming decode keeps of a w × h file: the window (X0, Y0, Width, Height) in the file's axes, averaged
/// over Kx × Ky boxes into (Width / Kx, Height / Ky) pixels. The last Width mod Kx columns and Height mod Ky rows are dropped.
/// </summary>
internal readonly record struct BoxPlan(int X0, int Y0, int Width, int Height, int Kx, int Ky)
{
    public int OutWidth => Width / Kx;

    public int OutHeight => Height / Ky;
}
