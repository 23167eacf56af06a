using Pipeline.Cli;

NativeHeap.Tune();

if (Console.IsOutputRedirected)
{
    // Tables for a file or a pipe: wide enough not to wrap.
    Spectre.Console.AnsiConsole.Profile.Width = 200;
}

return CliApp.Run(args);
