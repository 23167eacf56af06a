using System.CommandLine;
using Pipeline.Cli.Options;

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
            Example: pipeline models cut --in vgg16-7.onnx --at vgg0_pool4_fwd --out vgg16-convbase.onnx --preprocess torch
            Example: pipeline models cut --in mobilenetv2.onnx --at out_relu --out mobilenet-base.onnx --preprocess tf --pool avg
            """);
        Compose.Add(command, [In, At, Out, BackboneOptions.Preprocess, BackboneOptions.Mean, BackboneOptions.Std, BackboneOptions.Scale, BackboneOptions.Channels, BackboneOptions.Pool]);
        command.SetAction(r =>
        {
            // The preprocessing and pooling given here are recorded in the cut model (pipeline.* metadata): extract then needs no flags.
            var spec = BackboneOptions.Bind(r);
            var cut = Models.Cut(r.GetValue(In)!, r.GetValue(At)!, r.GetValue(Out)!, spec);
            Console.Out.WriteLine($"{cut.Output}: output {r.GetValue(At)}, {cut.NodesKept} nodes kept, {cut.NodesDropped} dropped");
            return 0;
        });
        return command;
    }
}
