namespace Pipeline.Extractor.Images;

/// <summary>
/// One decoded image in a buffer that the worker reuses: (Height, Width, 4) bytes, RGBA, alpha
/// unpremultiplied (and ignored by preprocessing, as PIL's <c>convert("RGB")</c> does). The buffer
/// only grows, so steady-state decoding allocates nothing managed.
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
        if (_pixels.Length < length)
        {
            _pixels = new byte[length];
        }

        Width = width;
        Height = height;
        return _pixels.AsSpan(0, length);
    }

    /// <summary>Pins the pixel buffer for a native decoder call.</summary>
    internal Memory<byte> Buffer => _pixels.AsMemory(0, Width * Height * 4);

    /// <summary>A second buffer of the same size, for a transform that cannot run in place; then swapped in.</summary>
    internal Span<byte> Spare(int length)
    {
        if (_spare.Length < length)
        {
            _spare = new byte[length];
        }

        return _spare.AsSpan(0, length);
    }

    internal void SwapWithSpare(int width, int height)
    {
        (_pixels, _spare) = (_spare, _pixels);
        Width = width;
        Height = height;
    }
}
