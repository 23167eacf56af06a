using System.CommandLine;
using Pipeline.Cli.Options;
using Pipeline.Extractor.Onnx;

namespace Pipeline.Cli.Commands;

/// <summary><c>models cut</c>: Keras' include_top=False for any ONNX graph.</summary>
internal static class CutCommand
{
    public static readonly Option<string> In = OptionValues.Text("--in", "FULL", "The full model file.", required: true);

    public static readonly Option<string> At = OptionValues.Text("--at", "TENSOR", "The tensor that becomes the output, e.g. vgg0_pool4_fwd (the ONNX Model Zoo VGG16's pool5).", required: true);

    public static readonly Option<string> Out = OptionValues.Text("--out", "BASE", "The cut model file to write.", required: true);

    public static Command Create()
    {
        var command = new Command("cut", """
            Make an intermediate tensor the output; drop what it does not need.
            Example: pipeline models cut --in vgg16-7.onnx --at vgg0_pool4_fwd --out vgg16-convbase.onnx
            """);
        Compose.Add(command, [In, At, Out]);
        command.SetAction(r =>
        {
            var (kept, dropped) = OnnxTools.Cut(r.GetValue(In)!, r.GetValue(At)!, r.GetValue(Out)!);
            Console.Out.WriteLine($"{r.GetValue(Out)}: output {r.GetValue(At)}, {kept} nodes kept, {dropped} dropped");
            return 0;
        });
        return command;
    }
}
