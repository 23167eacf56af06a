using Pipeline.Extractor;
using Spectre.Console.Cli;

namespace Pipeline.Cli;

/// <summary>Turns any exception into one line on stderr, a <c>hint:</c> line, and a distinct exit code.</summary>
internal static class ErrorReporter
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (PipelineException e)
        {
            return Report(e.Message, e.Hint, e.ExitCode);
        }
        catch (CommandAppException e)
        {
            return Report(e.Message, "run 'pipeline --help' or 'pipeline COMMAND --help' for the options and an example", ExitCode.BadArgument);
        }
        catch (OperationCanceledException)
        {
            return Report("cancelled", "run the same command again: it resumes where it stopped", ExitCode.Unexpected);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Report(e.Message, "check the path exists, is readable, and the disk has space", ExitCode.Unexpected);
        }
        catch (Exception e)
        {
            // A bug, not bad input: still one line and an exit code; the stack on request.
            if (Environment.GetEnvironmentVariable("PIPELINE_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            return Report($"unexpected {e.GetType().Name}: {e.Message}", "rerun with PIPELINE_DEBUG=1 for the stack trace and report it; work already cached is kept", ExitCode.Unexpected);
        }
    }

    private static int Report(string message, string hint, ExitCode code)
    {
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        Console.Error.WriteLine($"hint: {hint}");
        return (int)code;
    }
}
