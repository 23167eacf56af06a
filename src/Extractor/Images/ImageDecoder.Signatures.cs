namespace Pipeline.Extractor.Images;

/// <summary>Structural checks on the encoded bytes: what a file announces itself as, and cuts the codecs let through.</summary>
internal sealed partial class ImageDecoder
{
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
