using Pipeline.Cli;

namespace Pipeline.Tests.Support;

/// <summary>What the CLI would print and return for a library exception: its line, its hint, its exit code.</summary>
internal static class Reported
{
    public static (string Message, string Hint, ExitCode Code) Of(Exception e) => ErrorReporter.Describe(e);
}
