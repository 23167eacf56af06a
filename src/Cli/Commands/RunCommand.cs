using Spectre.Console;
using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>run</c>: extract (all splits) → train → evaluate on test, with one summary at the end. Takes every extract and train option under the same name.</summary>
internal static class RunCommand
{
    public static readonly Option<string> Out = OptionValues.Text("--out", "WORK", "Work folder: WORK/cache (features) and WORK/head (the trained head).", required: true);

    public static Command Create()
    {
        var command = new Command("run", """
            The whole job: extract features (all splits), train a head, evaluate it on the test split.
            Example: pipeline run --data ../shared/data/cats-vs-dogs-small --out work
            Example: pipeline run --data PetImages --split train=0.8,validation=0.1,test=0.1 --sample 500 --out work-small
            """);
        Compose.Add(command, [.. ExtractionOptionGroup.All, .. BackboneOptions.Source, .. BackboneOptions.Runtime, .. AugmentationOptions.All,
            .. TrainOptionGroup.All, .. SharedOptions.Output, Out]);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;
    }

    private static int Execute(ParseResult r, CancellationToken cancel)
    {
        string work = r.GetValue(Out)!;
        bool json = r.GetValue(SharedOptions.Json), quiet = r.GetValue(SharedOptions.Quiet) || json, tta = SharedOptions.TtaFlip(r);
        string cacheDir = Path.Combine(work, "cache"), headDir = Path.Combine(work, "head");
        if (r.GetValue(ExtractionOptionGroup.Shard) is { } shard)
        {
            // One shard is part of a cache; training needs all of it.
            return ErrorReporter.Report($"--shard {shard}: run trains on the whole cache, and one shard is part of it",
                "run 'pipeline extract --shard I/N' for every shard, then 'pipeline merge CACHE' and 'pipeline train --cache CACHE'", ExitCode.BadArgument);
        }

        var pipeline = new TransferLearning { Progress = new ConsoleProgress(quiet), HeadOptions = TrainOptionGroup.Bind(r), Folds = r.GetValue(TrainOptionGroup.Folds) };
        var extraction = pipeline.Extract(ExtractionOptionGroup.Bind(r, cacheDir), cancel);
        if (!json)
        {
            ExtractionSummary.Print(extraction, json: false);
        }

        var training = TrainingOutput.Run(cacheDir, null, headDir, r, quiet);
        Evaluation? test = null;
        if (Caches.Splits(cacheDir).Contains(SplitName.Test))
        {
            using var classifier = pipeline.Load(headDir);
            test = classifier.Evaluate(cacheDir, tta);
            if (!json)
            {
                EvaluateCommand.Print(test, json: false);
            }
        }

        if (json)
        {
            Output.WriteJson(new { Extraction = extraction, Training = training, Test = test });
            return ExtractionOptionGroup.ExitCodeFor(r, extraction);  // a run that skipped files still trains and evaluates first
        }

        var summary = Output.Table("extraction", "head training", training.CrossValidation is { } cv ? $"held-out accuracy ({cv.Folds}-fold CV)" : "validation accuracy", "test accuracy");
        summary.AddRow($"{extraction.Computed} images, {extraction.ImagesPerSecond:F1} img/s, {extraction.Seconds:F1} s",
            $"{training.Seconds:F2} s ({training.BestEpoch} epochs)",
            training.CrossValidation is { } c ? $"{c.Accuracy:P2} ± {c.AccuracyStdErr:P2}" : training.ValAccuracy is { } v ? $"{v:P2}" : "-",
            test is null ? "-" : $"{test.Accuracy:P2} ({test.Images} images; 95 % CI {test.AccuracyLow:P1}–{test.AccuracyHigh:P1})");
        Output.Write(summary);
        if (extraction.Backbone.Synthetic)
        {
            Console.Out.WriteLine("warning: synthetic backbone with random weights: these accuracies mean nothing");
        }

        return ExtractionOptionGroup.ExitCodeFor(r, extraction);  // a run that skipped files still trains and evaluates first
    }
}
