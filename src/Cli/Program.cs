using Pipeline.Cli;
using Pipeline.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("pipeline");
    config.PropagateExceptions();
    config.AddCommand<ExtractCommand>("extract")
        .WithDescription("Run a frozen backbone once over an image folder and cache its features.")
        .WithExample("extract", "--data", "../shared/data/cats-vs-dogs-small", "--out", "cache");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Show what a feature cache holds.")
        .WithExample("info", "cache");
});

return ErrorReporter.Run(() => app.Run(args));
