using System.CommandLine;
using Pipeline.Cli.Options;
using Pipeline.Extractor;
using Pipeline.Head;
using Pipeline.Head.Composition;

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
            string outFile = r.GetValue(Out)!;
            using var head = TrainedHead.Load(r.GetValue(SharedOptions.Head)!, DeviceRequest.Cpu);
            ClassifierExport.Export(head, HeadBackbone.Spec(head.Manifest, r.GetValue(BackboneOptions.Backbone), r.GetValue(BackboneOptions.Model), DeviceRequest.Cpu), outFile);
            var p = head.Manifest.Preprocessing;
            Console.Out.WriteLine($"{outFile}: {new FileInfo(outFile).Length / 1e6:F1} MB; input '{ClassifierExport.InputName}' (N, {p.Height}, {p.Width}, 3) uint8 RGB ({ClassifierExport.ResizeContract(p)} first), output '{ClassifierExport.OutputName}' (N, {head.Manifest.Classes.Count}): {string.Join(", ", head.Manifest.Classes)}");
            return 0;
        });
        return command;
    }
}
