using System.Runtime.CompilerServices;

namespace Pipeline.Extractor.Images;

/// <summary>
/// A worker's reused buffers: they grow to the largest ordinary image and stay, so steady-state decoding
/// allocates nothing; one past <see cref="KeepBytes"/> (an outsized image) is given back as soon as a smaller
/// one comes, so a single 500000×200 PNG does not pin its memory for the rest of the worker's life.
/// </summary>
internal static class ScratchBuffer
{
    /// <summary>Largest buffer kept between images: 16 MB (a 2048×2048 RGBA image).</summary>
    public const long KeepBytes = 16L << 20;

    /// <summary>
    /// <paramref name="buffer"/> resized to hold <paramref name="length"/> elements: grown when too small (doubling
    /// while under <see cref="KeepBytes"/> when <paramref name="doubling"/>), replaced by an exact one when it is
    /// over <see cref="KeepBytes"/> and more than twice what is asked.
    /// </summary>
    public static Span<T> Fit<T>(ref T[] buffer, int length, bool doubling = false)
    {
        long size = Unsafe.SizeOf<T>();
        if (buffer.Length < length)
        {
            long doubled = (long)buffer.Length * 2;
            buffer = new T[doubling && doubled * size <= KeepBytes ? Math.Max(length, (int)doubled) : length];
        }
        else if (buffer.Length * size > KeepBytes && buffer.Length > 2L * length)
        {
            buffer = new T[length];
        }

        return buffer.AsSpan(0, length);
    }
}
