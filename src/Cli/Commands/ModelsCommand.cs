using System.CommandLine;

namespace Pipeline.Cli.Commands;

/// <summary><c>models</c>: ONNX model files: cut a classifier to its conv base, make synthetic test backbones, inspect.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var models = new Command("models", "ONNX model files: cut a classifier to its conv base, make synthetic test backbones, inspect.");
        models.Add(CutCommand.Create());
        models.Add(SynthCommand.Create());
        models.Add(ModelInfoCommand.Create());
        models.Add(QuantizeCommand.Create());
        return models;
    }
}
