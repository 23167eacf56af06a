using System.CommandLine;

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

    public static readonly Option<PreprocessMode?> Preprocess = OptionValues.Parsed<PreprocessMode?>("--preprocess", SettingNames.Help<PreprocessMode>(),
        "For an .onnx file that is not a preset and carries no pipeline.preprocess metadata: caffe (Keras VGG16/ResNet50: BGR, mean subtracted), tf (Keras MobileNet/Inception: [-1, 1]), torch or imagenet (torchvision mean/std), unit ([0, 1]).",
        text => SettingNames.Parse<PreprocessMode>("preprocess", text));

    public static readonly Option<float[]?> Mean = OptionValues.Parsed<float[]?>("--mean", "A,B,C",
        "Per-channel means (model channel order, after --scale) instead of the mode's.", text => SettingNames.ChannelValues("mean", text));

    public static readonly Option<float[]?> Std = OptionValues.Parsed<float[]?>("--std", "A,B,C",
        "Per-channel standard deviations instead of the mode's.", text => SettingNames.ChannelValues("std", text));

    public static readonly Option<float?> Scale = OptionValues.Parsed<float?>("--scale", "S",
        "What each 0-255 pixel is multiplied by first, instead of the mode's (1/255 = 0.00392156862745098, 1).",
        text => float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float v) && v > 0 && float.IsFinite(v)
            ? v : throw new InvalidSettingException("scale", text, "a positive number"));

    public static readonly Option<ColorOrder?> Channels = OptionValues.Parsed<ColorOrder?>("--channels", SettingNames.Help<ColorOrder>(),
        "The channel order the model takes, instead of the mode's.", text => SettingNames.Parse<ColorOrder>("channels", text));

    public static readonly Option<Pooling?> Pool = OptionValues.Parsed<Pooling?>("--pool", SettingNames.Help<Pooling>(),
        "A spatial feature map, pooled in the graph before it is cached (Keras pooling=): avg or max (C features), or flatten (C·H·W); a transformer's token sequence (N, T, D): cls (its class token) or mean (of its tokens), D features. Default: flatten for the presets, avg for any other model whose features are a map, cls for a token sequence.",
        text => SettingNames.Parse<Pooling>("pool", text));

    public static readonly Option<ResizeMode?> Resize = OptionValues.Parsed<ResizeMode?>("--resize", "crop|squash",
        "crop: shorter side to size, then the centre (what resnet18 and vgg16 were trained with; their default). squash: stretch, as Keras does (the default for other .onnx files).",
        text => SettingNames.Parse<ResizeMode>("resize", text));

    public static readonly Option<DeviceRequest> Device = OptionValues.Parsed("--device", "DEVICE",
        $"Where the backbone runs: {DeviceRequest.Grammar} (auto: CUDA when it loads, else the CPU).", text => DeviceRequest.Parse(text), () => DeviceRequest.Auto);

    public static readonly Option<int> Threads = OptionValues.Int("--threads", "N",
        "ONNX Runtime threads (0: one per core this process may use, from its affinity and cgroup quota).", 0, 0, 1024);

    public static readonly Option<Precision> PrecisionOption = OptionValues.Parsed("--precision", "fp32|tf32|fp16|int8",
        "The backbone's arithmetic: fp32; tf32 (CUDA tensor cores, float32 tensors); fp16 (the graph converted to float16 in the tool; on the CPU its rounding is emulated); int8 (CPU: quantized on the fly, calibrated on the training images, kept in CACHE/.models and reused). The cache records it. Separate from --dtype, how rows are stored.",
        text => SettingNames.Parse<Precision>("precision", text), () => new BackboneSpec().Precision);

    public static readonly Option<int> Batch = OptionValues.Int("--batch", "N", "Images per inference call.", ExtractionOptions.DefaultBatch);

    public static readonly Option<int> Workers = OptionValues.Int("--workers", "N", "Decode threads (0: chosen from the cores and the device).", 0);

    /// <summary>Where the model comes from and how its input is made: extract, run, bench.</summary>
    public static Option[] Source => [Backbone, Model, Preprocess, Mean, Std, Scale, Channels, Pool, Resize];

    /// <summary>How it runs: extract, run, bench, predict.</summary>
    public static Option[] Runtime => [Device, PrecisionOption, Threads, Batch, Workers];

    /// <summary>
    /// A trained head's backbone as predict and export name it: --backbone (a model file the head was trained on, or
    /// its copy elsewhere) and --model; the head's own preset when neither is given.
    /// </summary>
    public static BackboneSpec BindForHead(ParseResult r, DeviceRequest device) => new()
    {
        Backbone = r.GetValue(Backbone) ?? new BackboneSpec().Backbone,
        Model = r.GetValue(Model),
        Device = device,
        Threads = r.GetValue(Threads),
    };

    /// <summary>The backbone to load; <paramref name="fallback"/> (a head's backbone) when --backbone is not given.</summary>
    public static BackboneSpec Bind(ParseResult r, string? fallback = null) => new()
    {
        Backbone = r.GetValue(Backbone) ?? fallback ?? new BackboneSpec().Backbone,
        Model = r.GetValue(Model),
        Preprocess = r.GetValue(Preprocess),
        Mean = Given(r.GetValue(Mean)),     // an array option not given reads as empty, not null
        Std = Given(r.GetValue(Std)),
        Scale = r.GetValue(Scale),
        Channels = r.GetValue(Channels),
        Pool = r.GetValue(Pool),
        Resize = r.GetValue(Resize),
        Device = r.GetValue(Device),          // a command without the option (export) reads default: auto
        Threads = r.GetValue(Threads),        // 0: from the cores
        Precision = r.GetValue(PrecisionOption),    // fp32
    };

    private static float[]? Given(float[]? values) => values is { Length: > 0 } ? values : null;

}
