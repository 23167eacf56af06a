using System.ComponentModel;
using System.Globalization;
using Pipeline.Extractor;
using Pipeline.Head;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class PredictSettings : CommandSettings
{
    [CommandOption("--head <HEAD>")]
    public string Head { get; init; } = "";

    [CommandArgument(0, "<PATH>")]
    [Description("Image files or folders.")]
    public string[] Paths { get; init; } = [];

    [CommandOption("--top <K>")]
    [DefaultValue(1)]
    public int Top { get; init; } = 1;

    [CommandOption("--backbone <NAME|FILE>")]
    [Description("Override where the head's backbone is loaded from (default: the name in head.json).")]
    public string? Backbone { get; init; }

    [CommandOption("--model <FILE>")]
    [Description("Model file for the head's backbone preset (vgg16).")]
    public string? Model { get; init; }

    [CommandOption("--device <DEVICE>")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";

    [CommandOption("--batch <N>")]
    [DefaultValue(32)]
    public int Batch { get; init; } = 32;

    [CommandOption("--json")]
    public bool Json { get; init; }

    [CommandOption("--csv")]
    public bool Csv { get; init; }

    [CommandOption("--tta <KIND>")]
    [Description("flip: average each image's probabilities with its mirror's.")]
    public string? Tta { get; init; }

    public override ValidationResult Validate() =>
        Head.Length == 0 ? ValidationResult.Error("--head HEAD is required")
        : Paths.Length == 0 ? ValidationResult.Error("give at least one image file or folder")
        : Top < 1 ? ValidationResult.Error("--top must be at least 1")
        : ValidationResult.Success();
}

public sealed class PredictCommand : Command<PredictSettings>
{
    public override int Execute(CommandContext context, PredictSettings settings, CancellationToken cancellationToken)
    {
        using var head = TrainedHead.Load(settings.Head);
        var files = Predictor.ExpandPaths(settings.Paths);
        var missing = files.FirstOrDefault(f => !File.Exists(f));
        if (missing is not null)
        {
            throw new PipelineException($"no such file or folder: '{missing}'", "pass image files or folders that exist", ExitCode.BadArgument);
        }

        var spec = new BackboneSpec { Backbone = settings.Backbone ?? head.Manifest.Backbone.Name, Model = settings.Model, Device = settings.Device };
        using var predictor = new Predictor(head, spec, line => Console.Error.WriteLine(line));
        var predictions = predictor.Predict(files, settings.Top, settings.Batch, TtaOption.IsFlip(settings.Tta));
        if (settings.Json)
        {
            Output.WriteJson(predictions.Select(p => new { p.File, Top = p.Top.Select(t => new { t.Class, t.Probability }), p.Skipped }));
        }
        else if (settings.Csv)
        {
            Console.Out.WriteLine("file,rank,class,probability,skipped");
            foreach (var p in predictions)
            {
                if (p.Skipped is not null)
                {
                    Console.Out.WriteLine($"{Csv(p.File)},,,,{Csv(p.Skipped)}");
                }

                for (int r = 0; r < p.Top.Count; r++)
                {
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Csv(p.File)},{r + 1},{Csv(p.Top[r].Class)},{p.Top[r].Probability:R},"));
                }
            }
        }
        else
        {
            var table = Output.Table("file", "prediction");
            foreach (var p in predictions)
            {
                table.AddRow(Markup.Escape(p.File), Markup.Escape(p.Skipped is { } s ? $"skipped: {s}" : string.Join("  ", p.Top.Select(t => $"{t.Class} {t.Probability:P1}"))));
            }

            Output.Write(table);
        }

        foreach (var p in predictions.Where(p => p.Skipped is not null))
        {
            Console.Error.WriteLine($"skipped {p.File}: {p.Skipped}");
        }

        return 0;
    }

    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
}
