using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>export</c>: backbone + preprocessing + head as one ONNX file.</summary>
internal static class ExportCommand
{
    public static readonly Option<string> Out = OptionValues.Text("--out", "FILE", "The one deployable ONNX file: image (N, H, W, 3) uint8 RGB in, probabilities out.", required: true);

    public static Command Create()
    {
        var command = new Command("export", """
            Ship backbone + preprocessing + head as one ONNX file (uint8 RGB images in, probabilities out); ONNX Runtime and OpenCV DNN load it.
            Example: pipeline export --head work/head --out classifier.onnx
            """);
        Compose.Add(command, [SharedOptions.Head, Out, BackboneOptions.Backbone, BackboneOptions.Model]);
        command.SetAction(r =>
        {
            var pipeline = new TransferLearning { Backbone = BackboneOptions.BindForHead(r, DeviceRequest.Cpu), HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu } };
            using var classifier = pipeline.Load(r.GetValue(SharedOptions.Head)!);
            var e = classifier.Export(r.GetValue(Out)!);
            Console.Out.WriteLine($"{e.File}: {e.Bytes / 1e6:F1} MB; input '{e.Input}' (N, {e.Height}, {e.Width}, 3) uint8 RGB ({e.Resize} first), output '{e.Output}' (N, {e.Classes.Count}): {string.Join(", ", e.Classes)}");
            return 0;
        });
        return command;
    }
}
