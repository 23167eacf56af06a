namespace Pipeline.Head.Inference;

/// <summary>
/// The one way to choose the backbone a trained head runs behind, for predict, evaluate on images, export and
/// the library: the head's own backbone, resize, preprocessing, precision and pooling, from its manifest. A caller may
/// name the file (a preset that needs one, such as vgg16, or a model moved elsewhere); the loaded graph must
/// then still compute the head's feature space, or it is refused naming the first difference.
/// </summary>
internal static class HeadBackbone
{
    /// <param name="head">The head's manifest.</param>
    /// <param name="backbone">A preset name or .onnx file instead of the head's own; null for the head's.</param>
    /// <param name="model">The model file of a preset that needs one (vgg16).</param>
    /// <param name="device">Where inference runs.</param>
    /// <param name="threads">ONNX Runtime threads (0: from the cores).</param>
    public static BackboneSpec Spec(HeadManifest head, string? backbone = null, string? model = null, DeviceRequest device = default, int threads = 0)
    {
        var int8 = head.Backbone.Quantized;
        if (int8 is not null && backbone is not null && File.Exists(backbone) && Sha256.OfFile(backbone) == int8.Sha256)
        {
            // A copy of the head's int8 file given as the backbone (the cache it was kept beside is gone): the head's own source, behind that copy.
            int8 = int8 with { File = Path.GetFullPath(backbone) };
            backbone = null;
        }

        return Spec(head, backbone, model, device, threads, int8);
    }

    private static BackboneSpec Spec(HeadManifest head, string? backbone, string? model, DeviceRequest device, int threads, QuantizedBackbone? int8) => new()
    {
        Backbone = backbone ?? OwnBackbone(head),
        Quantized = int8,
        Model = model,
        Resize = head.Preprocessing.Resize,
        Expected = head.Preprocessing,
        Precision = head.Backbone.Precision ?? Precision.Fp32,
        Pool = head.Backbone.Pool ?? Pooling.Flatten,   // the head's own, never chosen again
        Device = device,
        Threads = threads,
    };

    /// <summary>
    /// The backbone a head runs behind for a caller whose own backbone is <paramref name="runtime"/> (the entry point's
    /// <see cref="BackboneSpec"/>): its file when it names one (a model file the head was trained on, or a copy of it
    /// elsewhere; <see cref="Check"/> refuses one that computes other features), and its <see cref="BackboneSpec.Model"/>;
    /// a preset name defers to the head's own (another preset cannot compute the head's features). Device and threads
    /// are the caller's unless <paramref name="device"/> overrides them.
    /// </summary>
    public static BackboneSpec Spec(HeadManifest head, BackboneSpec runtime, DeviceRequest? device = null) =>
        Spec(head, BackbonePreset.Find(runtime.Backbone) is null ? runtime.Backbone : null, runtime.Model, device ?? runtime.Device, runtime.Threads);

    /// <summary>The head's preset by name; a plain .onnx file the head names but does not carry must be given.</summary>
    private static string OwnBackbone(HeadManifest head) =>
        BackbonePreset.Find(head.Backbone.Name) is not null ? head.Backbone.Name
            : throw InvalidSettingException.Missing("backbone", $"the head was trained on features of '{head.Backbone.File}' (sha256 {Sha256.Short(head.Backbone.Sha256)}), a model file it names but does not carry",
                $"the path of that {head.Backbone.File}");

    /// <summary>Refuses a backbone that does not compute the head's feature space.</summary>
    public static void Check(HeadManifest head, FeatureSpace backbone, string file)
    {
        if (backbone.Mismatch(head.Space, FeatureAspects.Model) is { } difference)
        {
            throw new FeatureSpaceMismatchException(MismatchSite.HeadAndBackbone, $"backbone file '{file}'", $"the head's backbone ({head.Backbone.File})", difference);
        }
    }
}
