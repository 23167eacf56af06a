using System.Text;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// The numpy <c>.npy</c> format, version 1.0: magic, a Python-dict header padded with spaces to
/// a multiple of 64 bytes, then the raw little-endian C-order data, so that
/// <c>np.load(path, mmap_mode="r")</c> maps it without copying.
/// </summary>
internal static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The full header (magic to newline) for an array of <paramref name="shape"/> and numpy <paramref name="descr"/>.</summary>
    public static byte[] Header(string descr, IReadOnlyList<long> shape)
    {
        string dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = 6 + 2 + 2 + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        var header = new byte[padded];
        Magic.CopyTo(header);
        header[6] = 1;
        header[7] = 0;
        BitConverter.TryWriteBytes(header.AsSpan(8, 2), (ushort)(padded - 10));
        Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        header.AsSpan(10 + dict.Length, padded - 10 - dict.Length - 1).Fill((byte)' ');
        header[^1] = (byte)'\n';
        return header;
    }

    /// <summary>Reads the header of <paramref name="path"/>: dtype descr, shape, and where the data starts.</summary>
    public static (string Descr, long[] Shape, long DataOffset) ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> pre = stackalloc byte[10];
        if (fs.Read(pre) != 10 || !pre[..6].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a .npy file (bad magic)");
        }

        int major = pre[6];
        if (major is not (1 or 2 or 3))
        {
            throw new InvalidDataException($"'{path}' has .npy version {major}, not 1, 2 or 3");
        }

        int headerLen;
        long dataOffset;
        if (major == 1)
        {
            headerLen = BitConverter.ToUInt16(pre[8..10]);
            dataOffset = 10 + headerLen;
        }
        else
        {
            Span<byte> more = stackalloc byte[2];
            fs.ReadExactly(more);
            headerLen = BitConverter.ToInt32([pre[8], pre[9], more[0], more[1]]);
            dataOffset = 12 + headerLen;
        }

        if (headerLen is < 0 or > 1 << 16 || dataOffset > fs.Length)
        {
            throw new InvalidDataException($"'{path}' has a .npy header length of {headerLen}, beyond its {fs.Length:N0} bytes");
        }

        var text = new byte[headerLen];
        fs.Position = dataOffset - headerLen;
        fs.ReadExactly(text);
        string dict = Encoding.Latin1.GetString(text).TrimEnd(' ', '\n', '\0');
        if (NpyHeader.Parse(dict) is not { } header)
        {
            throw new InvalidDataException($"'{path}' has a .npy header this tool cannot read: {dict.Trim()}");
        }

        if (header.FortranOrder && header.Shape.Count(d => d > 1) > 1)
        {
            // Column-major data read as rows would mix every feature of every image.
            throw new InvalidDataException($"'{path}' is stored in Fortran (column-major) order; this tool reads C order (write it with np.save(path, np.ascontiguousarray(a)))");
        }

        if (header.Shape.Any(d => d > int.MaxValue))
        {
            throw new InvalidDataException($"'{path}' has a .npy shape this tool cannot read: ({string.Join(", ", header.Shape)})");
        }

        return (header.Descr, header.Shape, dataOffset);
    }

    /// <summary>Throws when the file holds fewer than <paramref name="dataBytes"/> after its header.</summary>
    public static void CheckLength(string path, long dataOffset, long dataBytes)
    {
        // The length of the file the path names: a cache checked out by DVC or git-annex, or copied with
        // cp -rs, holds symbolic links, whose own size is that of the target's name.
        long length;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            length = fs.Length;
        }

        if (length < dataOffset + dataBytes)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is {length:N0} bytes, but its header's shape needs {dataOffset + dataBytes:N0} (truncated or damaged)");
        }
    }
}
