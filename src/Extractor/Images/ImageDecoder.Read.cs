namespace Pipeline.Extractor.Images;

/// <summary>Reading: the file (or bytes in memory) into the reused buffer, hashed; links resolved, special files refused.</summary>
internal sealed partial class ImageDecoder
{
    /// <summary>
    /// Reads the file into the reusable buffer and hashes it. Only regular files are read: a FIFO,
    /// socket or device reports size 0 and is refused before it is opened, so it cannot block.
    /// </summary>
    public void ReadFile(string path, Span<byte> sha256)
    {
        FileLength = 0;
        var info = RegularFile(path);
        long length = info.Length;   // of the link's target; 0 for FIFOs, sockets and devices
        if (length == 0)
        {
            throw new InvalidImageException("empty file, or not a regular file (FIFO, socket or device)");
        }

        Reserve(length);
        using var handle = File.OpenHandle(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        int read = 0;
        while (read < length)
        {
            int n = RandomAccess.Read(handle, _file.AsSpan(read, (int)length - read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        FileLength = read;
        Sha256.Of(FileBytes, sha256);
    }

    /// <summary>Takes an encoded image already in memory (predict on bytes or a stream) as <see cref="ReadFile"/> takes a file.</summary>
    public void ReadBytes(ReadOnlySpan<byte> encoded, Span<byte> sha256)
    {
        FileLength = 0;
        if (encoded.IsEmpty)
        {
            throw new InvalidImageException("empty image (0 bytes)");
        }

        Reserve(encoded.Length);
        encoded.CopyTo(_file);
        FileLength = encoded.Length;
        Sha256.Of(FileBytes, sha256);
    }

    /// <summary>
    /// The file itself, or the final target of a symbolic link to a file (how link farms, DVC and git-annex
    /// checkouts look). A broken link and a loop of links are refused with their reason, never followed forever.
    /// </summary>
    private static FileInfo RegularFile(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            FileSystemInfo? target;
            try
            {
                target = info.ResolveLinkTarget(returnFinalTarget: true);
            }
            catch (IOException)
            {
                throw new InvalidImageException("a loop of symbolic links");
            }

            if (target is null || Directory.Exists(target.FullName) || !File.Exists(target.FullName))
            {
                throw new InvalidImageException("broken link (its target does not exist or is not a file)");
            }

            info = new FileInfo(target.FullName);
        }

        if (!info.Exists)
        {
            throw new InvalidImageException("file vanished or is not a regular file");
        }

        return info;
    }

    /// <summary>Grows the reused file buffer to hold <paramref name="length"/> bytes; refuses files over the per-image limit.</summary>
    private void Reserve(long length)
    {
        if (length > MaxFileBytes)
        {
            throw new InvalidImageException($"file is {length:N0} bytes, over the {MaxFileBytes >> 20} MB limit for one image");
        }

        ScratchBuffer.Fit(ref _file, (int)length, doubling: true);
    }
}
