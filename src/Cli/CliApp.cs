using System.CommandLine;
using Pipeline.Cli.Commands;

namespace Pipeline.Cli;

/// <summary>The command tree, and one run of it: parse, refuse what does not parse, invoke, report.</summary>
internal static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Transfer learning on images: a frozen ONNX backbone caches features once; a small head trains on them in seconds.");
        root.Add(RunCommand.Create());
        root.Add(ExtractCommand.Create());
        root.Add(MergeCommand.Create());
        root.Add(InfoCommand.Create());
        root.Add(TrainCommand.Create());
        root.Add(EvaluateCommand.Create());
        root.Add(AuditCommand.Create());
        root.Add(PredictCommand.Create());
        root.Add(ExportCommand.Create());
        root.Add(BenchCommand.Create());
        root.Add(ModelsCommand.Create());
        return root;
    }

    public static int Run(string[] args) => ErrorReporter.Run(() =>
    {
        var parsed = Build().Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            return ReportParseError(parsed);
        }

        return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    });

    /// <summary>The first parse error as one line; an unknown option also gets the nearest valid names.</summary>
    private static int ReportParseError(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        string usage = command is RootCommand ? "pipeline --help" : $"pipeline {CommandPath(command)} --help";
        var unknown = parsed.UnmatchedTokens.FirstOrDefault(t => t.StartsWith('-'));
        if (unknown is not null)
        {
            var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct().ToList();
            var nearest = Nearest.To(unknown, names, 3, Math.Max(3, unknown.Length / 2));
            return ErrorReporter.Report($"Unknown option '{unknown}' for '{CommandPath(command)}'",
                (nearest.Count > 0 ? $"did you mean {string.Join(" or ", nearest)}? " : "") + $"'{usage}' lists the options", ExitCode.BadArgument);
        }

        return ErrorReporter.Report(parsed.Errors[0].Message, $"'{usage}' lists the options, with an example", ExitCode.BadArgument);
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c and not RootCommand; s = s.Parents.FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        return string.Join(' ', names);
    }
}
