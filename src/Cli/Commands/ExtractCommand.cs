using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>extract</c>: a frozen backbone runs once over an image folder; its features are cached per split.</summary>
internal static class ExtractCommand
{
    public static readonly Option<string> Out = OptionValues.Text("--out", "CACHE", "Cache folder to write (one subfolder per split).", required: true);

    public static Command Create()
    {
        var command = new Command("extract", """
            Run a frozen backbone once over an image folder and cache its features.
            Example: pipeline extract --data ../shared/data/cats-vs-dogs-small --out cache
            Example: pipeline extract --data PetImages --split train=0.8,validation=0.1,test=0.1 --out cache
            """);
        Compose.Add(command, [.. ExtractionOptionGroup.All, .. BackboneOptions.Source, .. BackboneOptions.Runtime, .. AugmentationOptions.All, .. SharedOptions.Output, Out]);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;
    }

    private static int Execute(ParseResult r, CancellationToken cancel)
    {
        bool json = r.GetValue(SharedOptions.Json);
        var pipeline = new TransferLearning { Progress = new ConsoleProgress(r.GetValue(SharedOptions.Quiet) || json) };
        var report = pipeline.Extract(ExtractionOptionGroup.Bind(r, r.GetValue(Out)!), cancel);
        ExtractionSummary.Print(report, json);
        return ExtractionOptionGroup.ExitCodeFor(r, report);
    }
}
