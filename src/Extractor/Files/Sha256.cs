using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Extractor.Files;

/// <summary>SHA-256 as the manifests write it: lower-case hex. The one hashing helper.</summary>
internal static class Sha256
{
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Hex(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    /// <summary>The 32-byte digest of <paramref name="bytes"/> into <paramref name="digest"/>, allocating nothing (the decoders' per-image hash).</summary>
    public static void Of(ReadOnlySpan<byte> bytes, Span<byte> digest) => SHA256.HashData(bytes, digest);

    /// <summary>A digest computed elsewhere (<see cref="Of(ReadOnlySpan{byte}, Span{byte})"/>, an incremental hash) as the manifests write it.</summary>
    public static string ToHex(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest);

    /// <summary>Of a file's bytes, read as a stream (a model file or an image: never whole in memory).</summary>
    public static string OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Hex(stream);
    }

    /// <summary>Of the UTF-8 bytes of <paramref name="text"/> (fingerprints of descriptions and listings).</summary>
    public static string OfText(string text) => Hex(Encoding.UTF8.GetBytes(text));

    /// <summary>The first 12 hex digits, as messages and descriptions name a hash (48 bits: no accidental collision among one user's files).</summary>
    public static string Short(string hex) => hex.Length > 12 ? hex[..12] : hex;
}
