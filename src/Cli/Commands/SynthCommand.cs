using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>models synth</c>: a backbone with random weights, marked synthetic.</summary>
internal static class SynthCommand
{
    public static readonly Argument<string> Kind = new("KIND") { Description = "vgg16 (VGG16's conv base), tiny (a small CNN for tests), mobilenet-like or squeezenet-like (full classifiers with their real operators, at toy width), vit (a vision transformer as torch.onnx exports it: tokens and a pooled output)." };

    public static readonly Option<string> Out = OptionValues.Text("--out", "FILE", "The model file to write.", required: true);

    public static readonly Option<int> Seed = OptionValues.Int("--seed", "S", "Seed of the random weights.", 0, 0);

    public static readonly Option<bool> Classifier = OptionValues.Flag("--classifier",
        "vgg16 only: add the full classifier (fc6, fc7, fc8, softmax) after pool5, as the ONNX Model Zoo ships it.");

    public static Command Create()
    {
        var command = new Command("synth", """
            A backbone with exactly VGG16's topology (or a tiny CNN) and seeded random weights, for speed tests.
            Example: pipeline models synth vgg16 --out vgg16-synthetic.onnx --seed 1
            """);
        command.Add(Kind);
        Compose.Add(command, [Out, Seed, Classifier]);
        Kind.AcceptOnlyFromAmong("vgg16", "tiny", "mobilenet-like", "squeezenet-like", "vit");
        command.SetAction(r =>
        {
            int seed = r.GetValue(Seed);
            string outFile = r.GetValue(Out)!;
            var kind = r.GetValue(Kind) switch
            {
                "vgg16" => SyntheticModel.Vgg16,
                "mobilenet-like" => SyntheticModel.MobileNetLike,
                "squeezenet-like" => SyntheticModel.SqueezeNetLike,
                "vit" => SyntheticModel.Vit,
                _ => SyntheticModel.Tiny,
            };
            SyntheticModels.Write(kind, outFile, seed, r.GetValue(Classifier));
            var s = Models.Info(outFile);
            Console.Out.WriteLine($"{outFile}: {s.Parameters / 1e6:F1} M parameters, {s.Gflops:F1} GFLOPs/image, input {s.Inputs[0]}, output {s.Outputs[0]} [synthetic: random weights, seed {seed}]");
            return 0;
        });
        return command;
    }
}
