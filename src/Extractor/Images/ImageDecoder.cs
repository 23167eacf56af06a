using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pipeline.Extractor.Images;

/// <summary>
/// Reads one image file and decodes it to RGB24, refusing what would hurt: empty or non-image
/// files, truncated JPEGs (which ImageSharp would decode silently, grey below the cut), and
/// headers that claim more pixels than <see cref="MaxPixels"/> (checked before decoding, so a
/// decompression bomb never allocates). Any colour type works (grey, CMYK, alpha, 16-bit), and
/// EXIF orientation is applied. One instance per worker thread: it reuses its file buffer.
/// </summary>
internal sealed class ImageDecoder
{
    public const long DefaultMaxPixels = 100_000_000;
    private const int AllocationLimitMegabytes = 1024;
    private static readonly Configuration SharedConfiguration = CreateConfiguration();
    private byte[] _file = new byte[1 << 16];

    public ImageDecoder(long maxPixels = DefaultMaxPixels) => MaxPixels = maxPixels;

    public long MaxPixels { get; }

    /// <summary>Bytes of the last file read.</summary>
    public ReadOnlySpan<byte> FileBytes => _file.AsSpan(0, FileLength);

    public int FileLength { get; private set; }

    /// <summary>ImageSharp set up for one worker: single-threaded, contiguous buffers, a hard allocation limit.</summary>
    private static Configuration CreateConfiguration()
    {
        var config = Configuration.Default.Clone();
        config.MaxDegreeOfParallelism = 1;               // parallelism comes from our workers
        config.PreferContiguousImageBuffers = true;      // the fast preprocessor reads one span
        config.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
        {
            AllocationLimitMegabytes = AllocationLimitMegabytes,
        });
        return config;
    }

    /// <summary>Reads the file into the reusable buffer and hashes it.</summary>
    public void ReadFile(string path, Span<byte> sha256)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        if (length > int.MaxValue / 2)
        {
            throw new InvalidImageException($"file is {length:N0} bytes, too large for an image");
        }

        if (_file.Length < length)
        {
            _file = new byte[Math.Max((int)length, _file.Length * 2)];
        }

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
        SHA256.HashData(FileBytes, sha256);
    }

    /// <summary>Decodes the bytes read by <see cref="ReadFile"/>; throws <see cref="InvalidImageException"/> with the reason.</summary>
    public Image<Rgb24> Decode()
    {
        if (FileLength == 0)
        {
            throw new InvalidImageException("empty file");
        }

        using var stream = new MemoryStream(_file, 0, FileLength, writable: false);
        IImageInfo? info;
        try
        {
            info = Image.Identify(SharedConfiguration, stream, out var format);
            if (info is null || format is null)
            {
                throw new InvalidImageException("not an image (unknown format)");
            }

            if ((long)info.Width * info.Height > MaxPixels)
            {
                throw new InvalidImageException($"header claims {info.Width}x{info.Height} pixels, over the limit of {MaxPixels:N0} (decompression bomb?)");
            }

            if (format.Name == "JPEG" && JpegProblem(FileBytes) is { } problem)
            {
                throw new InvalidImageException(problem);
            }

            stream.Position = 0;
            var image = Image.Load<Rgb24>(SharedConfiguration, stream);
            ApplyOrientation(image);
            return image;
        }
        catch (InvalidImageException)
        {
            throw;
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException
                                      or NotSupportedException or InvalidMemoryOperationException or EndOfStreamException
                                      or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidImageException(e switch
            {
                UnknownImageFormatException => "not an image (unknown format)",
                InvalidMemoryOperationException => $"decoding needs more than {AllocationLimitMegabytes} MB ({e.Message})",
                _ => $"corrupt image ({e.GetType().Name}: {e.Message})",
            });
        }
    }

    /// <summary>Applies EXIF orientation, allocating only for images that need turning.</summary>
    private static void ApplyOrientation(Image<Rgb24> image)
    {
        var exif = image.Metadata.ExifProfile;
        if (exif is not null && exif.GetValue(ExifTag.Orientation) is { } o && o.Value is not (0 or 1))
        {
            image.Mutate(x => x.AutoOrient());
        }
    }

    /// <summary>
    /// Entropy-coded data never holds FF D9 or FF DA (FF is byte-stuffed), so a complete JPEG has an
    /// end-of-image marker after its last start-of-scan. ImageSharp decodes a cut file without error.
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

/// <summary>A file in the dataset that is not a usable image; the message is the reason.</summary>
internal sealed class InvalidImageException(string reason) : Exception(reason);
