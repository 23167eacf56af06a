namespace Pipeline;

/// <summary>What to load: a preset name or an ONNX file, and how to preprocess for it.</summary>
public sealed record BackboneSpec
{
    /// <summary>Preset name (resnet18, vgg16) or a path to an .onnx file.</summary>
    public string Backbone { get; init; } = "resnet18";

    /// <summary>Model file for a preset that needs one (vgg16).</summary>
    public string? Model { get; init; }

    /// <summary>
    /// How a model that is not a preset wants its pixels; null takes the model's own metadata (<c>pipeline.preprocess</c>),
    /// and a model without it must be given one. A mode that contradicts the metadata is refused, naming both.
    /// </summary>
    public PreprocessMode? Preprocess { get; init; }

    /// <summary>Per-channel means (in the model's channel order, after <see cref="Scale"/>) instead of the mode's.</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-channel standard deviations instead of the mode's.</summary>
    public IReadOnlyList<float>? Std { get; init; }

    /// <summary>What each 0–255 pixel is multiplied by first, instead of the mode's (1/255, 1/127.5, 1).</summary>
    public float? Scale { get; init; }

    /// <summary>The channel order the model takes, instead of the mode's.</summary>
    public ColorOrder? Channels { get; init; }

    /// <summary>
    /// What becomes of a spatial feature map; null: flatten for the presets (resnet18's map is already pooled,
    /// vgg16 keeps the walkthrough's Flatten), global average pooling for any other model whose features are a
    /// map of more than one position (as Keras applications' <c>pooling='avg'</c>).
    /// </summary>
    public Pooling? Pool { get; init; }

    /// <summary>Null: the preset's own (crop for resnet18 and vgg16, squash for any other .onnx file).</summary>
    public ResizeMode? Resize { get; init; }

    /// <summary>
    /// The preprocessing a head was trained with: for a plain .onnx file (no preset, no <see cref="Preprocess"/>),
    /// the known kind that reproduces it is used. Null when extracting.
    /// </summary>
    internal Preprocessing? Expected { get; init; }

    /// <summary>A path prefix: ONNX Runtime writes its per-operator profile there (<c>bench --profile</c>); null: no profiling.</summary>
    internal string? ProfilePrefix { get; init; }

    /// <summary>int8 only: the folder of images a deterministic sample of which calibrates the quantization (extract: the training split).</summary>
    public string? Calibration { get; init; }

    /// <summary>int8 only: where the quantized file is kept and found again (extract: CACHE/.models).</summary>
    public string? QuantizedModels { get; init; }

    /// <summary>
    /// int8 only: the int8 file a head's features came from (its manifest's); used, after its hash is checked, instead of
    /// quantizing again, so predict, evaluate and export need no calibration images.
    /// </summary>
    internal QuantizedBackbone? Quantized { get; init; }

    /// <summary>The arithmetic inference runs in (the cache records it; a head's backbone is loaded with the same).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Where inference runs; <see cref="DeviceRequest.Auto"/> takes CUDA when it loads.</summary>
    public DeviceRequest Device { get; init; } = DeviceRequest.Auto;

    /// <summary>ONNX Runtime intra-op threads; 0 takes one per core this process may use (its affinity and cgroup quota), never ONNX Runtime's own default.</summary>
    public int Threads { get; init; }
}
