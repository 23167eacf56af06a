using Pipeline.Cli;
using Pipeline.Cli.Commands;
using Spectre.Console.Cli;

if (Console.IsOutputRedirected)
{
    // Tables for a file or a pipe: wide enough not to wrap.
    Spectre.Console.AnsiConsole.Profile.Width = 200;
}

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("pipeline");
    config.PropagateExceptions();
    config.AddCommand<RunCommand>("run")
        .WithDescription("The whole job: extract features (all splits), train a head, evaluate on the test split.")
        .WithExample("run", "--data", "../shared/data/cats-vs-dogs-small", "--out", "work");
    config.AddCommand<ExtractCommand>("extract")
        .WithDescription("Run a frozen backbone once over an image folder and cache its features.")
        .WithExample("extract", "--data", "../shared/data/cats-vs-dogs-small", "--out", "cache");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Show what a feature cache holds.")
        .WithExample("info", "cache");
    config.AddCommand<TrainCommand>("train")
        .WithDescription("Train a dense head on cached features (seconds, never re-running the backbone).")
        .WithExample("train", "--cache", "cache", "--out", "head")
        .WithExample("train", "--cache", "cache", "--out", "head", "--sweep", "lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5");
    config.AddCommand<EvaluateCommand>("evaluate")
        .WithDescription("Accuracy, per-class precision/recall/F1 and the confusion matrix of a head on cached features.")
        .WithExample("evaluate", "--head", "head", "--cache", "cache/test");
    config.AddCommand<PredictCommand>("predict")
        .WithDescription("Classify new images (files or folders) with a trained head: backbone, then head.")
        .WithExample("predict", "--head", "head", "photo.jpg", "more-photos/", "--top", "2");
});

return ErrorReporter.Run(() => app.Run(args));
