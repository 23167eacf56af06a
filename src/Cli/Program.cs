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
    config.UseStrictParsing();   // an unknown option (a typo such as --epoch) is an error, never silently ignored
    config.AddCommand<RunCommand>("run")
        .WithDescription("The whole job: extract features (all splits), train a head, evaluate on the test split.")
        .WithExample("run", "--data", "../shared/data/cats-vs-dogs-small", "--out", "work");
    config.AddCommand<ExtractCommand>("extract")
        .WithDescription("Run a frozen backbone once over an image folder and cache its features.")
        .WithExample("extract", "--data", "../shared/data/cats-vs-dogs-small", "--out", "cache");
    config.AddCommand<MergeCommand>("merge")
        .WithDescription("Join the shards written by 'extract --shard I/N' tasks (Slurm arrays, Kubernetes Indexed Jobs) into one cache.")
        .WithExample("merge", "cache");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Show what a feature cache holds.")
        .WithExample("info", "cache");
    config.AddCommand<ExportCommand>("export")
        .WithDescription("Ship backbone + preprocessing + head as one ONNX file (uint8 RGB images in, probabilities out).")
        .WithExample("export", "--head", "work/head", "--out", "classifier.onnx");
    config.AddCommand<BenchCommand>("bench")
        .WithDescription("Measure decode, inference alone and end-to-end extraction on your images and device; writes no cache.")
        .WithExample("bench", "--data", "../shared/data/cats-vs-dogs-small/train", "--batch", "32");
    config.AddBranch("models", models =>
    {
        models.SetDescription("ONNX model files: cut a classifier to its conv base, make synthetic test backbones, inspect.");
        models.AddCommand<CutCommand>("cut")
            .WithDescription("Make an intermediate tensor the output; drop what it does not need.")
            .WithExample("models", "cut", "--in", "vgg16-7.onnx", "--at", "vgg0_pool4_fwd", "--out", "vgg16-convbase.onnx");
        models.AddCommand<SynthCommand>("synth")
            .WithDescription("A backbone with exactly VGG16's topology (or a tiny CNN) and seeded random weights, for speed tests.")
            .WithExample("models", "synth", "vgg16", "--out", "vgg16-synthetic.onnx", "--seed", "1");
        models.AddCommand<ModelInfoCommand>("info")
            .WithDescription("Inputs, outputs, operators, parameters and GFLOPs of a model file.")
            .WithExample("models", "info", "vgg16-synthetic.onnx");
    });
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
