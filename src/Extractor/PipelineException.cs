namespace Pipeline.Extractor;

/// <summary>
/// An error the user can act on: <see cref="Exception.Message"/> names the bad value and
/// where it is, <see cref="Hint"/> says the remedy, <see cref="ExitCode"/> is what the CLI returns.
/// </summary>
public sealed class PipelineException : Exception
{
    public PipelineException(string message, string hint, ExitCode exitCode, Exception? inner = null)
        : base(message, inner)
    {
        Hint = hint;
        ExitCode = exitCode;
    }

    public string Hint { get; }

    public ExitCode ExitCode { get; }
}

/// <summary>Distinct process exit codes, one per kind of failure.</summary>
public enum ExitCode
{
    Ok = 0,
    Unexpected = 1,
    BadArgument = 2,
    BadDataLayout = 3,
    BadModel = 4,
    CacheMismatch = 5,
    DeviceUnavailable = 6,
    SkippedFilesStrict = 7,
    BadCache = 8,
    CacheLocked = 9,
    Diverged = 10,
}
