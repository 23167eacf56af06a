using System.ComponentModel;
using Pipeline.Extractor;
using Pipeline.Head;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class ExportSettings : CommandSettings
{
    [CommandOption("--head <HEAD>")]
    public string Head { get; init; } = "";

    [CommandOption("--out <FILE>")]
    [Description("The one deployable ONNX file: image (N, H, W, 3) uint8 in, probabilities out.")]
    public string Out { get; init; } = "";

    [CommandOption("--backbone <NAME|FILE>")]
    [Description("Where the head's backbone is (default: the name in head.json).")]
    public string? Backbone { get; init; }

    [CommandOption("--model <FILE>")]
    public string? Model { get; init; }

    public override ValidationResult Validate() =>
        Head.Length == 0 || Out.Length == 0 ? ValidationResult.Error("--head and --out are required") : ValidationResult.Success();
}

public sealed class ExportCommand : Command<ExportSettings>
{
    public override int Execute(CommandContext context, ExportSettings settings, CancellationToken cancellationToken)
    {
        using var head = TrainedHead.Load(settings.Head, "cpu");
        ClassifierExport.Export(head, new BackboneSpec { Backbone = settings.Backbone ?? head.Manifest.Backbone.Name, Model = settings.Model }, settings.Out);
        var p = head.Manifest.Preprocessing;
        Console.Out.WriteLine($"{settings.Out}: {new FileInfo(settings.Out).Length / 1e6:F1} MB; input '{ClassifierExport.InputName}' (N, {p.Height}, {p.Width}, 3) uint8 RGB, output '{ClassifierExport.OutputName}' (N, {head.Manifest.Classes.Count}): {string.Join(", ", head.Manifest.Classes)}");
        return 0;
    }
}
