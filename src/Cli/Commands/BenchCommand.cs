using System.ComponentModel;
using Pipeline.Extractor;
using Pipeline.Head;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class BenchSettings : BackboneSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Images to measure on (a dataset folder or any folder of images).")]
    public string Data { get; init; } = "";

    [CommandOption("--images <N>")]
    [Description("Use at most N images.")]
    [DefaultValue(256)]
    public int Images { get; init; } = 256;

    [CommandOption("--batch <N>")]
    [DefaultValue(32)]
    public int Batch { get; init; } = 32;

    [CommandOption("--workers <N>")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    [CommandOption("--rounds <N>")]
    [Description("Alternating rounds of inference alone and end to end; medians are reported.")]
    [DefaultValue(3)]
    public int Rounds { get; init; } = 3;

    [CommandOption("--json")]
    public bool Json { get; init; }

    public override ValidationResult Validate() =>
        Rounds < 1 ? ValidationResult.Error("--rounds must be at least 1")
        : Data.Length == 0 ? ValidationResult.Error("--data DIR is required") : ValidationResult.Success();
}

/// <summary>Where extraction time goes on this machine: decode, preprocess, inference alone, end to end.</summary>
public sealed class BenchCommand : Command<BenchSettings>
{
    public override int Execute(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(settings.Data))
        {
            throw new PipelineException($"--data '{settings.Data}': no such folder", "pass a folder of images", ExitCode.BadArgument);
        }

        var files = Predictor.ExpandPaths([settings.Data]).Take(settings.Images).ToList();
        if (files.Count == 0)
        {
            throw new PipelineException($"--data '{settings.Data}' holds no images", "pass a folder of .jpg/.png images", ExitCode.BadArgument);
        }

        using var backbone = Backbone.Load(settings.ToSpec(), line => Console.Error.WriteLine(line));
        double peak = backbone.IsCuda ? double.NaN : FmaPeak.MeasureGflops(seconds: 1.0);
        var r = ThroughputBench.Run(backbone, files, settings.Batch, settings.Workers, settings.Rounds);
        if (settings.Json)
        {
            Output.WriteJson(new { Report = r, r.EndToEndOverInference, Shares = new { r.Shares.Decode, r.Shares.Preprocess, r.Shares.Inference }, PeakGflops = peak });
            return 0;
        }

        var table = Output.Table("stage", "img/s", "share of 1-thread time");
        table.AddRow("decode (read, hash, decode), 1 thread", $"{r.DecodeImagesPerSecond:F1}", $"{r.Shares.Decode:P1}");
        table.AddRow("resize + normalise, 1 thread", $"{r.PreprocessImagesPerSecond:F1}", $"{r.Shares.Preprocess:P1}");
        table.AddRow($"inference alone, batch {r.Batch} (median of {r.Rounds})", $"{r.InferenceImagesPerSecond:F1}", $"{r.Shares.Inference:P1}");
        table.AddRow($"end to end, {r.Workers} decode workers (median of {r.Rounds})", $"{r.EndToEndImagesPerSecond:F1}", "");
        Output.Write(table);
        double achieved = r.GflopsPerImage * r.EndToEndImagesPerSecond;
        string flops = double.IsNaN(r.GflopsPerImage) ? "" : $", {r.GflopsPerImage:F2} GFLOPs/image = {achieved:F0} GFLOPS end to end"
            + (double.IsNaN(peak) ? "" : $" ({achieved / peak:P0} of the {peak:F0} GFLOPS fp32 FMA peak measured)");
        Console.Out.WriteLine($"{r.Backbone}{(r.Synthetic ? " [synthetic: random weights, speed only]" : "")} on {r.Device}, {r.Images} images: end to end / inference alone = {r.EndToEndOverInference:F3}{flops}");
        return 0;
    }
}
