using System.Diagnostics.CodeAnalysis;

namespace Pipeline.Extractor.Internals;

/// <summary>Every user-facing error of the libraries, worded in one place.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void BadArgument(string message, string hint) =>
        throw new PipelineException(message, hint, ExitCode.BadArgument);

    [DoesNotReturn]
    public static void BadDataLayout(string folder, string problem, string hint) =>
        throw new PipelineException($"data folder '{folder}': {problem}", hint, ExitCode.BadDataLayout);

    [DoesNotReturn]
    public static void BadModel(string file, string problem, string hint, Exception? inner = null) =>
        throw new PipelineException($"model '{file}': {problem}", hint, ExitCode.BadModel, inner);

    [DoesNotReturn]
    public static void CacheMismatch(string cache, string what, string cached, string requested) =>
        throw new PipelineException(
            $"cache '{cache}' was made with {what} {cached}, not {requested}",
            "use another --out folder, or add --force to rebuild this cache from scratch",
            ExitCode.CacheMismatch);

    [DoesNotReturn]
    public static void BadCache(string cache, string problem, string hint) =>
        throw new PipelineException($"cache '{cache}': {problem}", hint, ExitCode.BadCache);

    [DoesNotReturn]
    public static void CacheLocked(string cache, Exception inner) =>
        throw new PipelineException($"cache '{cache}' is being written by another extract right now",
            "wait for it to finish, or pass another --out folder (shards of one job each write their own shards/I-of-N folder)", ExitCode.CacheLocked, inner);

    [DoesNotReturn]
    public static void DeviceUnavailable(string device, string reason, string hint, Exception? inner = null) =>
        throw new PipelineException($"device '{device}' is not available: {reason}", hint, ExitCode.DeviceUnavailable, inner);
}
