using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Extractor.Platform;

/// <summary>SHA-256 as the manifests write it: lower-case hex. The one hashing helper.</summary>
internal static class Sha256
{
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Hex(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    /// <summary>Of the UTF-8 bytes of <paramref name="text"/> (fingerprints of descriptions and listings).</summary>
    public static string OfText(string text) => Hex(Encoding.UTF8.GetBytes(text));
}
