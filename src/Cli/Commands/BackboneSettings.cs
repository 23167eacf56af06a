using System.ComponentModel;
using Pipeline.Extractor;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>Options shared by every command that runs a backbone.</summary>
public class BackboneSettings : CommandSettings
{
    [CommandOption("--backbone <NAME|FILE>")]
    [Description("resnet18 (default, embedded), vgg16 (with --model), or an .onnx file.")]
    [DefaultValue("resnet18")]
    public string Backbone { get; init; } = "resnet18";

    [CommandOption("--model <FILE>")]
    [Description("Model file for a preset that needs one (vgg16): a conv base, or a full classifier that is cut at pool5.")]
    public string? Model { get; init; }

    [CommandOption("--preprocess <KIND>")]
    [Description("For an .onnx file that is not a preset: imagenet, caffe or unit.")]
    public string? Preprocess { get; init; }

    [CommandOption("--resize <MODE>")]
    [Description("crop (shorter side to size, then the centre: what resnet18 and vgg16 were trained with; their default) or squash (stretch, as Keras does; the default for other .onnx files).")]
    public string? Resize { get; init; }

    [CommandOption("--device <DEVICE>")]
    [Description("auto (CUDA when it loads, else CPU), cpu, cuda or cuda:N.")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";

    [CommandOption("--threads <N>")]
    [Description("ONNX Runtime threads (0: one per core).")]
    [DefaultValue(0)]
    public int Threads { get; init; }

    public BackboneSpec ToSpec() => new()
    {
        Backbone = Backbone,
        Model = Model,
        Preprocess = Preprocess,
        Device = Device,
        Threads = Threads,
        Resize = Resize?.ToLowerInvariant() switch
        {
            null => null,
            "squash" => ResizeMode.Squash,
            "crop" => ResizeMode.Crop,
            _ => throw new PipelineException($"--resize '{Resize}' is not squash or crop", "pass --resize squash or --resize crop", ExitCode.BadArgument),
        },
    };
}
