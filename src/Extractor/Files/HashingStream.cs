using System.Security.Cryptography;

namespace Pipeline.Extractor.Files;

/// <summary>
/// A read-only pass-through that adds every byte read to a SHA-256: a model file is parsed and hashed in one read,
/// so its identity is the hash of exactly the bytes parsed, and no whole-file array is held (a 528 MB VGG16 was
/// once in memory three times while it loaded).
/// </summary>
internal sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        hash.AppendData(buffer[..n]);
        return n;
    }

    /// <summary>Reads what the parser left (nothing, for a well-formed file), so the hash covers the whole file.</summary>
    public void Drain()
    {
        Span<byte> rest = stackalloc byte[4096];
        while (Read(rest) > 0)
        {
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
