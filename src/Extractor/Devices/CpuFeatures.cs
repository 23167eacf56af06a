namespace Pipeline.Extractor.Devices;

/// <summary>
/// Whether this CPU has an int8 dot-product instruction (x86 VNNI or AMX, Arm's dot product), read once from
/// /proc/cpuinfo. Without one, ONNX Runtime's int8 kernels multiply-add in several instructions where fp32 uses one
/// FMA: on a 2-core AVX2 AMD EPYC without VNNI, int8 ResNet18 ran at 0.97× (1 core) and 1.02× (2 cores) of fp32's
/// inference speed, against 3.3× on an AVX-512 VNNI CPU (docs/transformers-int8.md).
/// </summary>
internal static class CpuFeatures
{
    private static readonly string[] DotProductFlags = ["avx512_vnni", "avx_vnni", "amx_int8", "asimddp"];

    private static readonly Lazy<IReadOnlySet<string>?> Flags = new(ReadFlags);

    /// <summary>True or false where /proc/cpuinfo says; null where it cannot be read (not Linux, a sandbox).</summary>
    public static bool? HasInt8DotProduct => Flags.Value is { } flags ? DotProductFlags.Any(flags.Contains) : null;

    private static HashSet<string>? ReadFlags()
    {
        try
        {
            // x86 lists "flags : fpu vme …", Arm "Features : fp asimd … asimddp"; the first processor's line speaks for all.
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal));
            return line is null ? null : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
