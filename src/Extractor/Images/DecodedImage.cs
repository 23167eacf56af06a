namespace Pipeline.Extractor.Images;

/// <summary>
/// One decoded image in a buffer that the worker reuses: (Height, Width, 4) bytes, RGBA, alpha
/// unpremultiplied (and ignored by preprocessing, as PIL's <c>convert("RGB")</c> does). The buffer
/// grows to the largest ordinary image, so steady-state decoding allocates nothing managed, and is given
/// back after an outsized one (<see cref="ScratchBuffer"/>).
/// </summary>
internal sealed class DecodedImage
{
    private byte[] _pixels = [];
    private byte[] _spare = [];

    public int Width { get; private set; }

    public int Height { get; private set; }

    public ReadOnlySpan<byte> Pixels => _pixels.AsSpan(0, Width * Height * 4);

    /// <summary>Sizes the buffer for <paramref name="width"/> × <paramref name="height"/> RGBA pixels.</summary>
    internal Span<byte> Resize(int width, int height)
    {
        int length = checked(width * height * 4);
        ScratchBuffer.Fit(ref _pixels, length);
        Width = width;
        Height = height;
        return _pixels.AsSpan(0, length);
    }

    /// <summary>Bytes this image's buffers hold (pixels and spare), for tests of the bound.</summary>
    internal long CapacityBytes => _pixels.Length + (long)_spare.Length;

    /// <summary>Pins the pixel buffer for a native decoder call.</summary>
    internal Memory<byte> Buffer => _pixels.AsMemory(0, Width * Height * 4);

    /// <summary>A second buffer of the same size, for a transform that cannot run in place; then swapped in.</summary>
    internal Span<byte> Spare(int length)
    {
        return ScratchBuffer.Fit(ref _spare, length);
    }

    internal void SwapWithSpare(int width, int height)
    {
        (_pixels, _spare) = (_spare, _pixels);
        Width = width;
        Height = height;
    }
}
