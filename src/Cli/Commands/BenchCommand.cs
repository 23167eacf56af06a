using Spectre.Console;
using System.CommandLine;
using Pipeline.Cli.Options;
using Pipeline.Extractor;
using Pipeline.Extractor.Tooling;
using Pipeline.Head.Composition;

namespace Pipeline.Cli.Commands;

/// <summary><c>bench</c>: where extraction time goes on this machine: decode, preprocess, inference alone, end to end.</summary>
internal static class BenchCommand
{
    public static readonly Option<string> Data = OptionValues.Text("--data", "DIR", "Images to measure on (a dataset folder or any folder of images).", required: true);

    public static readonly Option<int> ImageCount = OptionValues.Int("--images", "N", "Use at most N images.", 256, 1);

    public static readonly Option<int> Rounds = OptionValues.Int("--rounds", "N", "Alternating rounds of inference alone and end to end; medians are reported.", 3, 1, 100);

    public static Command Create()
    {
        var command = new Command("bench", """
            Measure decode, inference alone and end-to-end extraction on your images and device; writes no cache.
            Example: pipeline bench --data ../shared/data/cats-vs-dogs-small/train --batch 32
            """);
        Compose.Add(command, [Data, ImageCount, Rounds, .. BackboneOptions.Source, .. BackboneOptions.Runtime, SharedOptions.Json]);
        command.SetAction(r =>
        {
            string data = r.GetValue(Data)!;
        if (!Directory.Exists(data))
            {
                return ErrorReporter.Report($"--data '{data}': no such folder", "pass a folder of images", ExitCode.BadArgument);
            }

            var files = Predictor.ExpandPaths([data]).Take(r.GetValue(ImageCount)).ToList();
            if (files.Count == 0)
            {
                return ErrorReporter.Report($"--data '{data}' holds no images", "pass a folder of .jpg/.png images", ExitCode.BadArgument);
            }

            using var backbone = Backbone.Load(BackboneOptions.Bind(r), line => Console.Error.WriteLine(line));
            double peak = backbone.IsCuda ? double.NaN : FmaPeak.MeasureGflops(seconds: 1.0);
            var b = ThroughputBench.Run(backbone, files, r.GetValue(BackboneOptions.Batch), r.GetValue(BackboneOptions.Workers), r.GetValue(Rounds));
            if (r.GetValue(SharedOptions.Json))
            {
                Output.WriteJson(new { Report = b, b.EndToEndOverInference, Shares = new { b.Shares.Decode, b.Shares.Preprocess, b.Shares.Inference }, PeakGflops = peak });
                return 0;
            }

            var table = Output.Table("stage", "img/s", "share of 1-thread time");
            table.AddRow("decode (read, hash, decode), 1 thread", $"{b.DecodeImagesPerSecond:F1}", $"{b.Shares.Decode:P1}");
            table.AddRow("resize + normalise, 1 thread", $"{b.PreprocessImagesPerSecond:F1}", $"{b.Shares.Preprocess:P1}");
            table.AddRow($"inference alone, batch {b.Batch} (median of {b.Rounds})", $"{b.InferenceImagesPerSecond:F1}", $"{b.Shares.Inference:P1}");
            table.AddRow($"end to end, {b.Workers} decode workers (median of {b.Rounds})", $"{b.EndToEndImagesPerSecond:F1}", "");
            Output.Write(table);
            double achieved = b.GflopsPerImage * b.EndToEndImagesPerSecond;
            string flops = double.IsNaN(b.GflopsPerImage) ? "" : $", {b.GflopsPerImage:F2} GFLOPs/image = {achieved:F0} GFLOPS end to end"
                + (double.IsNaN(peak) ? "" : $" ({achieved / peak:P0} of the {peak:F0} GFLOPS fp32 FMA peak measured)");
            Console.Out.WriteLine($"{b.Backbone}{(b.Synthetic ? " [synthetic: random weights, speed only]" : "")} on {b.Device}, {b.Images} images: end to end / inference alone = {b.EndToEndOverInference:F3}{flops}");
            return 0;
        });
        return command;
    }
}
