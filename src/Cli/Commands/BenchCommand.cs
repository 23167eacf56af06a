using Spectre.Console;
using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>bench</c>: where extraction time goes on this machine: decode, preprocess, inference alone, end to end.</summary>
internal static class BenchCommand
{
    public static readonly Option<string> Data = OptionValues.Text("--data", "DIR", "Images to measure on (a dataset folder or any folder of images).", required: true);


    public static readonly Option<int> Rounds = OptionValues.Int("--rounds", "N", "Alternating rounds of inference alone and end to end; medians are reported.", 3, 1, 100);

    public static readonly Option<string?> Profile = new("--profile")
    {
        HelpName = "DIR",
        Description = "Also write ONNX Runtime's per-operator profile to DIR/ort-profile.json and print where inference time goes (profiling slows it: its img/s are not for comparison).",
    };

    public static readonly Option<string> From = OptionValues.Text("--from", "DIR", "Class-per-folder photos to copy from.", required: true);

    public static readonly Option<string> PhotosOut = OptionValues.Text("--out", "DIR", "Folder to write the photo set to.", required: true);

    public static readonly Option<int> Count = OptionValues.Int("--count", "N", "Photos to make.", 25_000, 1);

    /// <summary><c>bench photos</c>: a large set of distinct real photos for runs at scale (bench/gpu/run.sh scale).</summary>
    private static Command Photos()
    {
        var command = new Command("photos", """
            Make N distinct JPEGs from a few real photos (each cropped by a few pixels and re-encoded at its own quality), keeping class folders.
            Example: pipeline bench photos --from ../shared/data/cats-vs-dogs-small/train --out /dev/shm/photos --count 25000
            """);
        Compose.Add(command, [From, PhotosOut, Count]);
        command.SetAction(r =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long bytes = Bench.Photos(r.GetValue(From)!, r.GetValue(PhotosOut)!, r.GetValue(Count));
            Console.Out.WriteLine($"{r.GetValue(Count)} photos, {bytes / 1e6:F0} MB, in {clock.Elapsed.TotalSeconds:F1} s: {r.GetValue(PhotosOut)}");
            return 0;
        });
        return command;
    }

    public static readonly Option<string> CacheFrom = OptionValues.Text("--from", "CACHE", "A real cache (split root with train and validation) whose rows are drawn.", required: true);

    public static readonly Option<string> CacheOut = OptionValues.Text("--out", "DIR", "Folder to write the synthetic split root to.", required: true);

    public static readonly Option<int> TrainRows = OptionValues.Int("--train", "N", "Training rows.", 16_000, 1);

    public static readonly Option<int> ValidationRows = OptionValues.Int("--validation", "N", "Validation rows.", 4_000, 1);

    public static readonly Option<int> FeatureWidth = OptionValues.Int("--features", "F", "Features per row: 512, or 25088 (512 × 7 × 7, VGG16's pool5 flattened).", 512, 1);

    public static readonly Option<double> Noise = OptionValues.Double("--noise", "SIGMA", "Gaussian noise added, in each feature's standard deviations.", 0.5, 0, 10);

    /// <summary><c>bench cache</c>: caches at the walkthrough's scale from real rows, for timing head training.</summary>
    private static Command Cache()
    {
        var command = new Command("cache", """
            Make a synthetic cache at scale from a real one's rows (noise added, tiled to the width asked), for timing 'train'.
            Example: pipeline bench cache --from work/cache --out /tmp/c20k --train 16000 --validation 4000 --features 512
            """);
        Compose.Add(command, [CacheFrom, CacheOut, TrainRows, ValidationRows, FeatureWidth, Noise, SharedOptions.Seed]);
        command.SetAction(r =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Bench.Cache(r.GetValue(CacheFrom)!, r.GetValue(CacheOut)!, r.GetValue(TrainRows), r.GetValue(ValidationRows), r.GetValue(FeatureWidth), r.GetValue(Noise), r.GetValue(SharedOptions.Seed));
            Console.Out.WriteLine($"{r.GetValue(TrainRows)} + {r.GetValue(ValidationRows)} rows of {r.GetValue(FeatureWidth)} features in {clock.Elapsed.TotalSeconds:F1} s: {r.GetValue(CacheOut)}");
            return 0;
        });
        return command;
    }

    public static Command Create()
    {
        var command = new Command("bench", """
            Measure decode, inference alone and end-to-end extraction on your images and device; writes no cache.
            Example: pipeline bench --data ../shared/data/cats-vs-dogs-small/train --batch 32
            """);
        Compose.Add(command, [Data, SharedOptions.Images, Rounds, Profile, .. BackboneOptions.Source, .. BackboneOptions.Runtime, SharedOptions.Json]);
        command.Add(Photos());
        command.Add(Cache());
        command.SetAction(r =>
        {
            string data = r.GetValue(Data)!;
            if (!Directory.Exists(data))
            {
                return ErrorReporter.Report($"--data '{data}': no such folder", "pass a folder of images", ExitCode.BadArgument);
            }

            var files = Bench.Images(data, r.GetValue(SharedOptions.Images));
            if (files.Count == 0)
            {
                return ErrorReporter.Report($"--data '{data}' holds no images", "pass a folder of .jpg/.png images", ExitCode.BadArgument);
            }

            var spec = BackboneOptions.Bind(r);
            if (spec.Precision == Precision.Int8)
            {
                // int8 calibrates on the images measured, and keeps its file for the next bench (bench writes no cache).
                spec = spec with { Calibration = data, QuantizedModels = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "pipeline", "int8") };
            }

            var run = Bench.Measure(spec, files, r.GetValue(BackboneOptions.Batch), r.GetValue(BackboneOptions.Workers), r.GetValue(Rounds), r.GetValue(Profile), line => Console.Error.WriteLine(line));
            var (b, peak, operators) = (run.Report, run.PeakGflops, run.Operators);
            if (r.GetValue(SharedOptions.Json))
            {
                Output.WriteJson(new { Report = b, b.EndToEndOverInference, Shares = new { b.Shares.Decode, b.Shares.Preprocess, b.Shares.Inference }, PeakGflops = peak, Operators = operators });
                return 0;
            }

            if (operators is not null)
            {
                var ops = Output.Table("operator (as ONNX Runtime ran it)", "kernel ms", "share", "calls");
                foreach (var o in operators.Take(12))
                {
                    ops.AddRow(o.Op, $"{o.Milliseconds:F0}", $"{o.Share:P1}", $"{o.Calls}");
                }

                Output.Write(ops);
                Console.Out.WriteLine($"profile: {run.ProfileFile} (chrome://tracing or Perfetto opens it)");
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
