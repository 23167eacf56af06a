using System.CommandLine;
using System.Globalization;
using Pipeline.Cli.Options;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary><c>predict</c>: new images through the head's backbone, then the head.</summary>
internal static class PredictCommand
{
    public static readonly Argument<string[]> Paths = new("PATH") { Description = "Image files or folders (or --labels FILE).", Arity = ArgumentArity.ZeroOrMore };

    public static readonly Option<string?> Data = new("--data")
    {
        HelpName = "DIR",
        Description = "The folder the --labels file's paths are relative to (default: the label file's own folder).",
    };

    public static readonly Option<int> Top = OptionValues.Int("--top", "K", "How many classes to print per image, most likely first.", 1, 1);

    public static readonly Option<bool> CsvOutput = OptionValues.Flag("--csv", "Print file,rank,class,probability,skipped rows.");

    public static Command Create()
    {
        var command = new Command("predict", """
            Classify new images (files or folders) with a trained head: backbone, then head.
            Example: pipeline predict --head head photo.jpg more-photos/ --top 2
                     pipeline predict --head head --labels test.csv --csv   (the images a CSV lists; scored where it has labels)
            """);
        command.Add(Paths);
        Compose.Add(command, [SharedOptions.Head, Top, BackboneOptions.Backbone, BackboneOptions.Model, BackboneOptions.Device, BackboneOptions.Threads, BackboneOptions.Batch, SharedOptions.Tta, SharedOptions.Json, CsvOutput,
            ExtractionOptionGroup.Labels, Data, ExtractionOptionGroup.FileColumn, ExtractionOptionGroup.LabelColumn]);
        command.SetAction(r =>
        {
            var pipeline = new TransferLearning { Backbone = BackboneOptions.BindForHead(r, r.GetValue(BackboneOptions.Device)), Log = line => Console.Error.WriteLine(line) };
            using var classifier = pipeline.Load(r.GetValue(SharedOptions.Head)!);
            var paths = r.GetValue(Paths) ?? [];
            string? labelFile = r.GetValue(ExtractionOptionGroup.Labels);
            if ((paths.Length == 0) == (labelFile is null))
            {
                return ErrorReporter.Report(paths.Length == 0 ? "predict needs images: no PATH and no --labels" : "PATH and --labels both name the images",
                    "pass image files or folders, or --labels FILE (a CSV or JSON lines file that lists them), not both", ExitCode.BadArgument);
            }

            var missing = paths.FirstOrDefault(f => !File.Exists(f) && !Directory.Exists(f));
            if (missing is not null)
            {
                return ErrorReporter.Report($"no such file or folder: '{missing}'", "pass image files or folders that exist", ExitCode.BadArgument);
            }

            // Predictions stream: each chunk of images is classified as the output before it is written.
            // A multi-label head reports every label's probability and the labels over their thresholds.
            int top = classifier.MultiLabel ? classifier.Classes.Count : r.GetValue(Top);
            var listed = labelFile is null ? null
                : classifier.PredictListed(labelFile, r.GetValue(Data), r.GetValue(ExtractionOptionGroup.FileColumn), r.GetValue(ExtractionOptionGroup.LabelColumn), top, SharedOptions.TtaFlip(r), r.GetValue(BackboneOptions.Batch));
            var predictions = (listed?.Select(l => l.Prediction) ?? classifier.PredictEach(paths, top, SharedOptions.TtaFlip(r), r.GetValue(BackboneOptions.Batch))).Select(ReportSkip);
            if (r.GetValue(SharedOptions.Json))
            {
                Output.WriteJsonArray(predictions.Select(p => classifier.MultiLabel
                    ? (object)new { p.File, p.Labels, Top = p.Top.Select(t => new { t.Class, t.Probability }), p.Skipped }
                    : new { p.File, Top = p.Top.Select(t => new { t.Class, t.Probability }), p.Skipped }));
            }
            else if (r.GetValue(CsvOutput) && classifier.MultiLabel)
            {
                MultiLabelCsv(classifier.Classes, predictions);
            }
            else if (r.GetValue(CsvOutput))
            {
                Console.Out.WriteLine("file,rank,class,probability,skipped");
                foreach (var p in predictions)
                {
                    if (p.Skipped is not null)
                    {
                        Console.Out.WriteLine($"{Csv(p.File)},,,,{Csv(p.Skipped)}");
                    }

                    for (int rank = 0; rank < p.Top.Count; rank++)
                    {
                        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Csv(p.File)},{rank + 1},{Csv(p.Top[rank].Class)},{p.Top[rank].Probability:R},"));
                    }
                }
            }
            else
            {
                var table = Output.Table("file", "prediction");
                foreach (var p in predictions)
                {
                    string labels = classifier.MultiLabel && p.Skipped is null ? $"[{string.Join("|", p.Labels)}]  " : "";
                    table.AddRow(Markup.Escape(p.File), Markup.Escape(p.Skipped is { } s ? $"skipped: {s}" : labels + string.Join("  ", p.Top.Select(t => $"{t.Class} {t.Probability:P1}"))));
                }

                Output.Write(table);
            }

            if (listed is not null)
            {
                foreach (var line in listed.Problems)
                {
                    Console.Error.WriteLine(line);
                }

                Console.Error.WriteLine(listed.Labelled == 0
                    ? $"{labelFile}: no row has a label of the head's classes; nothing scored"
                    : string.Create(CultureInfo.InvariantCulture, $"accuracy {listed.Accuracy:P2} on {listed.Labelled} labelled images of {labelFile} (95 % Wilson interval {listed.AccuracyLow:P2} to {listed.AccuracyHigh:P2}; {listed.Correct} correct)"));
            }

            return 0;
        });
        return command;
    }

    /// <summary>One row per image: its labels over their thresholds joined with '|', then each label's probability (label order).</summary>
    private static void MultiLabelCsv(IReadOnlyList<string> labels, IEnumerable<Prediction> predictions)
    {
        Console.Out.WriteLine($"file,labels,{string.Join(",", labels.Select(Csv))},skipped");
        foreach (var p in predictions)
        {
            var byLabel = p.Top.ToDictionary(t => t.Class, t => t.Probability, StringComparer.Ordinal);
            string probabilities = string.Join(",", labels.Select(l => p.Skipped is null ? byLabel[l].ToString("R", CultureInfo.InvariantCulture) : ""));
            Console.Out.WriteLine($"{Csv(p.File)},{Csv(string.Join("|", p.Labels))},{probabilities},{(p.Skipped is null ? "" : Csv(p.Skipped))}");
        }
    }

    private static Prediction ReportSkip(Prediction p)
    {
        if (p.Skipped is not null)
        {
            Console.Error.WriteLine($"skipped {p.File}: {p.Skipped}");
        }

        return p;
    }

    private static string Csv(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
}
