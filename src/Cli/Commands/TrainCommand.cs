using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>train</c>: a dense head on cached features, in seconds, never re-running the backbone.</summary>
internal static class TrainCommand
{
    public static readonly Option<string> Cache = OptionValues.Text("--cache", "CACHE",
        "Training features: a cache, or a split root (then its train split, validated on its validation split).", required: true);

    public static readonly Option<string?> Val = new("--val") { HelpName = "CACHE", Description = "Validation features (default: the root's validation split, if any)." };

    public static readonly Option<string> Out = OptionValues.Text("--out", "HEAD", "Folder for weights.bin, head.json and curves.png.", required: true);

    public static Command Create()
    {
        var command = new Command("train", """
            Train a dense head on cached features (seconds, never re-running the backbone).
            Example: pipeline train --cache cache --out head
            Example: pipeline train --cache cache --out head --sweep "lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5"
            """);
        Compose.Add(command, [Cache, Val, Out, .. TrainOptionGroup.All, .. SharedOptions.Output]);
        command.SetAction(r =>
        {
            bool json = r.GetValue(SharedOptions.Json);
            var result = TrainingOutput.Run(r.GetValue(Cache)!, r.GetValue(Val), r.GetValue(Out)!, r, r.GetValue(SharedOptions.Quiet) || json);
            if (json)
            {
                Output.WriteJson(result);
            }

            return 0;
        });
        return command;
    }
}
