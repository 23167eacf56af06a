using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Pipeline.Extractor.Dataset;

/// <summary>
/// A folder's entry names as the bytes Linux stores. .NET decodes a name that is not valid UTF-8 with U+FFFD
/// for each bad byte, so <c>bad\xff.jpg</c>, <c>bad\xfe.jpg</c> and a real <c>bad\uFFFD.jpg</c> all list as the
/// last one, and opening the listed name reads the wrong file (or none). Only the raw bytes tell them apart:
/// a valid name is read as itself, a lossy one is shown escaped (<c>bad\xFF.jpg</c>) and skipped.
/// </summary>
internal static partial class RawFolderNames
{
    /// <summary>
    /// The names in <paramref name="dir"/> (hidden ones included) that are valid UTF-8 and contain U+FFFD, and
    /// the escaped forms of those that are not valid UTF-8. Null where the raw listing cannot be read (not Linux):
    /// then every name holding U+FFFD is taken as lossy.
    /// </summary>
    public static unsafe (HashSet<string> Genuine, List<string> Lossy)? Classify(string dir)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var genuine = new HashSet<string>(StringComparer.Ordinal);
        var lossy = new List<string>();
        nint handle = OpenDir(dir);
        if (handle == 0)
        {
            return null;
        }

        try
        {
            nint entry;
            while ((entry = ReadDir(handle)) != 0)
            {
                // struct dirent (glibc, 64-bit): d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name char[256]
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)(entry + 19));
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }

                if (!Utf8.IsValid(name))
                {
                    lossy.Add(Escape(name));
                }
                else if (name.IndexOf("\uFFFD"u8) >= 0)
                {
                    genuine.Add(Encoding.UTF8.GetString(name));
                }
            }
        }
        finally
        {
            _ = CloseDir(handle);
        }

        lossy.Sort(StringComparer.Ordinal);
        return (genuine, lossy);
    }

    /// <summary>A name's valid UTF-8 as text, each byte that is not as <c>\xHH</c>, and '\' as <c>\\</c> (so two names never escape alike).</summary>
    internal static string Escape(ReadOnlySpan<byte> name)
    {
        var text = new StringBuilder();
        while (!name.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(name, out var rune, out int used) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.Value == '\\' ? "\\\\" : rune.ToString());
            }
            else
            {
                used = 1;
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{name[0]:X2}");
            }

            name = name[used..];
        }

        return text.ToString();
    }

    private static unsafe nint OpenDir(string dir)
    {
        var bytes = Encoding.UTF8.GetBytes(dir + "\0");
        fixed (byte* p = bytes)
        {
            return OpenDirNative(p);
        }
    }

    [LibraryImport("libc", EntryPoint = "opendir")]
    private static unsafe partial nint OpenDirNative(byte* path);

    [LibraryImport("libc", EntryPoint = "readdir")]
    private static partial nint ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);
}
