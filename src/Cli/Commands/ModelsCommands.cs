using System.ComponentModel;
using Pipeline.Extractor;
using Pipeline.Extractor.Onnx;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class SynthSettings : CommandSettings
{
    [CommandArgument(0, "<KIND>")]
    [Description("vgg16 (VGG16's conv base) or tiny (a small CNN for tests).")]
    public string Kind { get; init; } = "";

    [CommandOption("--out <FILE>")]
    public string Out { get; init; } = "";

    [CommandOption("--seed <S>")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--classifier")]
    [Description("vgg16 only: add the full classifier (fc6, fc7, fc8, softmax) after pool5, as the ONNX Model Zoo ships it.")]
    public bool Classifier { get; init; }

    public override ValidationResult Validate() => Out.Length == 0 ? ValidationResult.Error("--out FILE is required") : ValidationResult.Success();
}

/// <summary><c>models synth</c>: a backbone with random weights, marked synthetic.</summary>
public sealed class SynthCommand : Command<SynthSettings>
{
    public override int Execute(CommandContext context, SynthSettings settings, CancellationToken cancellationToken)
    {
        var model = settings.Kind.ToLowerInvariant() switch
        {
            "vgg16" => SynthModels.Vgg16(settings.Seed, settings.Classifier),
            "tiny" => SynthModels.TinyCnn(settings.Seed),
            _ => throw new PipelineException($"models synth '{settings.Kind}' is unknown", "pass vgg16 or tiny", ExitCode.BadArgument),
        };
        SynthModels.Save(model, settings.Out);
        var s = OnnxTools.Describe(settings.Out);
        Console.Out.WriteLine($"{settings.Out}: {s.Parameters / 1e6:F1} M parameters, {s.Gflops:F1} GFLOPs/image, input {s.Inputs[0]}, output {s.Outputs[0]} [synthetic: random weights, seed {settings.Seed}]");
        return 0;
    }
}

public sealed class CutSettings : CommandSettings
{
    [CommandOption("--in <FULL>")]
    public string In { get; init; } = "";

    [CommandOption("--at <TENSOR>")]
    [Description("The tensor that becomes the output, e.g. vgg0_pool4_fwd (the ONNX Model Zoo VGG16's pool5).")]
    public string At { get; init; } = "";

    [CommandOption("--out <BASE>")]
    public string Out { get; init; } = "";

    public override ValidationResult Validate() =>
        In.Length == 0 || At.Length == 0 || Out.Length == 0 ? ValidationResult.Error("--in, --at and --out are required") : ValidationResult.Success();
}

/// <summary><c>models cut</c>: Keras' include_top=False for any ONNX graph.</summary>
public sealed class CutCommand : Command<CutSettings>
{
    public override int Execute(CommandContext context, CutSettings settings, CancellationToken cancellationToken)
    {
        var (kept, dropped) = OnnxTools.Cut(settings.In, settings.At, settings.Out);
        Console.Out.WriteLine($"{settings.Out}: output {settings.At}, {kept} nodes kept, {dropped} dropped");
        return 0;
    }
}

public sealed class ModelInfoSettings : CommandSettings
{
    [CommandArgument(0, "<FILE>")]
    public string File { get; init; } = "";
}

public sealed class ModelInfoCommand : Command<ModelInfoSettings>
{
    public override int Execute(CommandContext context, ModelInfoSettings settings, CancellationToken cancellationToken)
    {
        var s = OnnxTools.Describe(settings.File);
        Console.Out.WriteLine($"inputs:  {string.Join(", ", s.Inputs)}");
        Console.Out.WriteLine($"outputs: {string.Join(", ", s.Outputs)}");
        Console.Out.WriteLine($"pooling tensors (cut candidates): {string.Join(", ", s.PoolTensors)}");
        Console.Out.WriteLine($"operators: {string.Join(", ", s.Operators)}");
        Console.Out.WriteLine($"{s.Parameters / 1e6:F1} M parameters{(double.IsNaN(s.Gflops) ? "" : $", {s.Gflops:F2} GFLOPs/image")}{(s.Synthetic ? " [synthetic: random weights]" : "")}");
        return 0;
    }
}
