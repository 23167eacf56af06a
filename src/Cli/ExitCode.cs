namespace Pipeline.Cli;

/// <summary>Distinct process exit codes, one per kind of failure; only the CLI knows them.</summary>
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
