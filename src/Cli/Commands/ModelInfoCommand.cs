using System.CommandLine;

namespace Pipeline.Cli.Commands;

/// <summary><c>models info</c>: inputs, outputs, operators, parameters and GFLOPs of a model file.</summary>
internal static class ModelInfoCommand
{
    public static readonly Argument<string> File = new("FILE") { Description = "An ONNX model file." };

    public static Command Create()
    {
        var command = new Command("info", """
            Inputs, outputs, operators, parameters and GFLOPs of a model file.
            Example: pipeline models info vgg16-synthetic.onnx
            """);
        command.Add(File);
        command.SetAction(r =>
        {
            var s = Models.Info(r.GetValue(File)!);
            Console.Out.WriteLine($"inputs:  {string.Join(", ", s.Inputs)}");
            Console.Out.WriteLine($"outputs: {string.Join(", ", s.Outputs)}");
            Console.Out.WriteLine("cut points (models cut --at TENSOR; extract on the full model cuts at the last feature map itself):");
            foreach (var c in s.CutPoints)
            {
                Console.Out.WriteLine($"  {Label(c.Kind),-18} {c.Tensor}  ({c.Note})");
            }

            Console.Out.WriteLine($"operators: {string.Join(", ", s.Operators)}");
            Console.Out.WriteLine($"{s.Parameters / 1e6:F1} M parameters{(double.IsNaN(s.Gflops) ? "" : $", {s.Gflops:F2} GFLOPs/image")}{(s.Synthetic ? " [synthetic: random weights]" : "")}");
            return 0;
        });
        return command;
    }

    private static string Label(CutKind kind) => kind switch
    {
        CutKind.LastFeatureMap => "last feature map",
        CutKind.GlobalPool => "global pool",
        CutKind.TokenSequence => "token sequence",
        CutKind.Embedding => "embedding",
        _ => "penultimate",
    };
}
