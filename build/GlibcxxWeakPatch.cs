// Used twice: compiled into an MSBuild task by RoslynCodeTaskFactory (TorchSharpGlibcxx.targets),
// and into the tests (with NO_MSBUILD_TASK) to check the build really did it.
#pragma warning disable CA1050 // MSBuild inline tasks are found by their global type name
#pragma warning disable IDE0005 // the task compile has no implicit usings, so System and System.IO are needed there
using System;
using System.IO;
using System.Text;

#if !NO_MSBUILD_TASK
public sealed class PatchGlibcxxWeak : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux) || !System.IO.Directory.Exists(Directory))
        {
            return true;
        }

        if (GlibcxxWeakPatch.SystemHas(GlibcxxWeakPatch.Version))
        {
            return true;   // this libstdc++ has the version: nothing to fix
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            if (GlibcxxWeakPatch.MakeWeak(file, GlibcxxWeakPatch.Version))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    $"{file}: marked the {GlibcxxWeakPatch.Version} requirement weak (this system's libstdc++ lacks it; see README)");
            }
        }

        return true;
    }
}
#endif

/// <summary>
/// TorchSharp 0.107.0's libLibTorchSharp.so was built with GCC 13 and names one symbol version it
/// never calls (GLIBCXX_3.4.32, for std::ios_base_library_init), so glibc refuses to load it where
/// libstdc++ is older (Debian 12, Ubuntu 22.04). Setting VER_FLG_WEAK on that entry of the
/// library's .gnu.version_r section turns the hard failure into nothing.
/// </summary>
public static class GlibcxxWeakPatch
{
    public const string Version = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    public static readonly string[] LibStdCxxPaths =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    ];

    /// <summary>True when the system's libstdc++ defines <paramref name="version"/>.</summary>
    public static bool SystemHas(string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (var path in LibStdCxxPaths)
        {
            if (File.Exists(path))
            {
                return IndexOf(File.ReadAllBytes(path), needle) >= 0;
            }
        }

        return false;
    }

    /// <summary>The vna_flags of the version requirement named <paramref name="version"/>, or -1 if absent.</summary>
    public static int Flags(byte[] elf, string version) => Find(elf, version) is int at ? BitConverter.ToUInt16(elf, at) : -1;

    /// <summary>Sets VER_FLG_WEAK on the requirement, writing a new file in place of the old; false if nothing changed.</summary>
    public static bool MakeWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (Find(elf, version) is not int at || (BitConverter.ToUInt16(elf, at) & VerFlgWeak) != 0)
        {
            return false;
        }

        Array.Copy(BitConverter.GetBytes((ushort)(BitConverter.ToUInt16(elf, at) | VerFlgWeak)), 0, elf, at, 2);
        string tmp = path + ".patching";
        File.WriteAllBytes(tmp, elf);
        File.Delete(path);
        File.Move(tmp, path);   // a new inode: never writes through a hard link into the NuGet cache
        return true;
    }

    // netstandard2.0 (the MSBuild inline task) has no span search.
    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length; i = Array.IndexOf(haystack, needle[0], i + 1))
        {
            int j = 1;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Offset of vna_flags of the Vernaux entry named <paramref name="version"/> in a 64-bit little-endian ELF.</summary>
    private static int? Find(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            return null;
        }

        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = (int)(shoff + (long)s * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed)
            {
                continue;
            }

            int offset = (int)BitConverter.ToInt64(elf, sh + 24);
            int count = (int)BitConverter.ToUInt32(elf, sh + 44);
            int strtabHeader = (int)(shoff + (long)BitConverter.ToUInt32(elf, sh + 40) * shentsize);
            int strtab = (int)BitConverter.ToInt64(elf, strtabHeader + 24);
            int vn = offset;
            for (int i = 0; i < count; i++)
            {
                int auxCount = BitConverter.ToUInt16(elf, vn + 2);
                int aux = vn + (int)BitConverter.ToUInt32(elf, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, name);
                    if (Encoding.ASCII.GetString(elf, name, end - name) == version)
                    {
                        return aux + 4;
                    }

                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }

                vn += (int)BitConverter.ToUInt32(elf, vn + 12);
            }
        }

        return null;
    }
}
