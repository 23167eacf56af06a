using System.CommandLine;
using Pipeline.Extractor;

namespace Pipeline.Cli.Options;

/// <summary>Which backbone, from which file, preprocessed how; and where and how wide it runs.</summary>
internal static class BackboneOptions
{
    public static readonly Option<string?> Backbone = new("--backbone")
    {
        HelpName = "NAME|FILE",
        Description = "resnet18 (the default, embedded), vgg16 (with --model), or an .onnx file (with --preprocess). predict and export: the head's own by default.",
    };

    public static readonly Option<string?> Model = new("--model")
    {
        HelpName = "FILE",
        Description = "Model file for a preset that needs one (vgg16): a conv base, or a full classifier that is cut at pool5.",
    };

    public static readonly Option<string?> Preprocess = new("--preprocess")
    {
        HelpName = "KIND",
        Description = "For an .onnx file that is not a preset: imagenet (torchvision), caffe (Keras VGG/ResNet) or unit (0–1 RGB).",
    };

    public static readonly Option<ResizeMode?> Resize = OptionValues.Parsed<ResizeMode?>("--resize", "crop|squash",
        "crop: shorter side to size, then the centre (what resnet18 and vgg16 were trained with; their default). squash: stretch, as Keras does (the default for other .onnx files).",
        text => SettingNames.Parse<ResizeMode>("resize", text));

    public static readonly Option<DeviceRequest> Device = OptionValues.Parsed("--device", "DEVICE",
        $"Where the backbone runs: {DeviceRequest.Grammar} (auto: CUDA when it loads, else the CPU).", text => DeviceRequest.Parse(text), () => DeviceRequest.Auto);

    public static readonly Option<int> Threads = OptionValues.Int("--threads", "N",
        "ONNX Runtime threads (0: one per core this process may use, from its affinity and cgroup quota).", 0, 0, 1024);

    public static readonly Option<Precision> PrecisionOption = OptionValues.Parsed("--precision", "fp32|tf32|fp16",
        "The backbone's arithmetic: fp32; tf32 (CUDA tensor cores, float32 tensors); fp16 (the graph converted to float16 in the tool; on the CPU its rounding is emulated). The cache records it. Separate from --dtype, how rows are stored.",
        text => SettingNames.Parse<Precision>("precision", text), () => Precision.Fp32);

    public static readonly Option<int> Batch = OptionValues.Int("--batch", "N", "Images per inference call.", 32);

    public static readonly Option<int> Workers = OptionValues.Int("--workers", "N", "Decode threads (0: chosen from the cores and the device).", 0);

    /// <summary>Where the model comes from and how its input is made: extract, run, bench.</summary>
    public static Option[] Source => [Backbone, Model, Preprocess, Resize];

    /// <summary>How it runs: extract, run, bench, predict.</summary>
    public static Option[] Runtime => [Device, PrecisionOption, Threads, Batch, Workers];

    /// <summary>The backbone to load; <paramref name="fallback"/> (a head's backbone) when --backbone is not given.</summary>
    public static BackboneSpec Bind(ParseResult r, string fallback = "resnet18") => new()
    {
        Backbone = r.GetValue(Backbone) ?? fallback,
        Model = r.GetValue(Model),
        Preprocess = r.GetValue(Preprocess),
        Resize = r.GetValue(Resize),
        Device = r.GetValue(Device),          // a command without the option (export) reads default: auto
        Threads = r.GetValue(Threads),        // 0: from the cores
        Precision = r.GetValue(PrecisionOption),    // fp32
    };
}
