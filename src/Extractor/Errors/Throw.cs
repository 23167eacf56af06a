using System.Diagnostics.CodeAnalysis;

namespace Pipeline;

/// <summary>Throw helpers for the Extractor's user-facing errors (the CLI words each remedy); a few types throw their own typed exception where it reads better inline.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void InvalidSetting(string setting, object value, string expected) =>
        throw new InvalidSettingException(setting, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "", expected);

    [DoesNotReturn]
    public static void BadDataLayout(string folder, string problem, string? remedy = null) =>
        throw new DataLayoutException(folder, problem, remedy);

    [DoesNotReturn]
    public static void BadModel(string file, string problem, string? remedy = null, Exception? inner = null) =>
        throw new ModelFileException(file, problem, remedy, inner);

    [DoesNotReturn]
    public static void BadCache(string cache, string problem, string? remedy = null) =>
        throw new CacheException(cache, problem, remedy);

    [DoesNotReturn]
    public static void Mismatch(MismatchSite site, string found, string expected, string difference) =>
        throw new FeatureSpaceMismatchException(site, found, expected, difference);

    [DoesNotReturn]
    public static void CacheLocked(string cache, Exception inner) =>
        throw new CacheLockedException(cache, inner);

    [DoesNotReturn]
    public static void DeviceUnavailable(string device, string reason, string? remedy = null, Exception? inner = null) =>
        throw new DeviceUnavailableException(device, reason, remedy, inner);
}
