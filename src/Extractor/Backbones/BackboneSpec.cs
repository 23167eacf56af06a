namespace Pipeline.Extractor.Backbones;

/// <summary>What to load: a preset name or an ONNX file, and how to preprocess for it.</summary>
public sealed record BackboneSpec
{
    /// <summary>Preset name (resnet18, vgg16) or a path to an .onnx file.</summary>
    public string Backbone { get; init; } = "resnet18";

    /// <summary>Model file for a preset that needs one (vgg16).</summary>
    public string? Model { get; init; }

    /// <summary>imagenet, caffe or unit: for a model that is not a preset.</summary>
    public string? Preprocess { get; init; }

    /// <summary>Null: the preset's own (crop for resnet18 and vgg16, squash for any other .onnx file).</summary>
    public ResizeMode? Resize { get; init; }

    /// <summary>
    /// The preprocessing a head was trained with: for a plain .onnx file (no preset, no <see cref="Preprocess"/>),
    /// the known kind that reproduces it is used. Null when extracting.
    /// </summary>
    internal Preprocessing? Expected { get; init; }

    /// <summary>The arithmetic inference runs in (the cache records it; a head's backbone is loaded with the same).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Where inference runs; <see cref="DeviceRequest.Auto"/> takes CUDA when it loads.</summary>
    public DeviceRequest Device { get; init; } = DeviceRequest.Auto;

    /// <summary>ONNX Runtime intra-op threads; 0 takes one per core this process may use (its affinity and cgroup quota), never ONNX Runtime's own default.</summary>
    public int Threads { get; init; }
}
