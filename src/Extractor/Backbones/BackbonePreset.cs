namespace Pipeline.Extractor.Backbones;

/// <summary>
/// A named backbone: which ONNX file, which tensor the features are read from, and the
/// preprocessing contract its weights were trained with.
/// </summary>
internal sealed record BackbonePreset
{
    public required string Name { get; init; }

    /// <summary>Model file; relative paths resolve against the tool's own folder.</summary>
    public string? ModelFile { get; init; }

    /// <summary>Tensor to read features from; null means the graph's first output.</summary>
    public string? FeatureTensor { get; init; }

    public required Preprocessing Preprocessing { get; init; }

    /// <summary>File holding a per-pixel mean image initializer (the ResNet18 package's ResNetPreprocess.onnx).</summary>
    public string? MeanImageFile { get; init; }

    /// <summary>Initializer name of the mean image inside <see cref="MeanImageFile"/>.</summary>
    public string? MeanImageTensor { get; init; }

    /// <summary>
    /// ResNet18 from the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1, a CNTK
    /// export pretrained on ImageNet. Input <c>Input247</c> (N, 3, 224, 224) float32, BGR, 0–255 values
    /// minus the per-pixel mean image of <c>ResNetPreprocess.onnx</c> (no scaling, no std); resized
    /// as the network was trained and as ML.NET's <c>ResizeImages</c> does by default: the shorter
    /// side to 224, then the centre 224×224 (<see cref="ResizeMode.Crop"/>);
    /// features from <c>Pooling395_Output_0</c> (N, 512, 1, 1), the global average pool.
    /// The file fixes batch 1; it is made dynamic on load.
    /// </summary>
    public static BackbonePreset ResNet18 { get; } = new()
    {
        Name = "resnet18",
        ModelFile = "DnnImageModels/ResNet18Onnx/ResNet18.onnx",
        FeatureTensor = "Pooling395_Output_0",
        MeanImageFile = "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx",
        MeanImageTensor = "MeanImage",
        Preprocessing = new()
        {
            Width = 224, Height = 224, Layout = TensorLayout.Nchw, ColorOrder = ColorOrder.Bgr,
            Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f], Resize = ResizeMode.Crop,
        },
    };

    /// <summary>
    /// VGG16 conv base brought by the user (torchvision <c>vgg16().features</c> export or the ONNX Model
    /// Zoo's vgg16-7/-12, cut at <c>vgg0_pool4_fwd</c>). Input (N, 3, 224, 224) float32, RGB, scaled to
    /// 0–1, then torchvision's mean [0.485, 0.456, 0.406] and std [0.229, 0.224, 0.225];
    /// features: the pool5 map (N, 512, 7, 7), 25,088 values when flattened. Resized as torchvision
    /// and the Model Zoo evaluate it: isotropically, then the centre crop (<see cref="ResizeMode.Crop"/>);
    /// <c>--resize squash</c> gives the Keras walkthrough's stretch.
    /// </summary>
    public static BackbonePreset Vgg16 { get; } = new()
    {
        Name = "vgg16",
        Preprocessing = Presets.ImageNet(224, 224, TensorLayout.Nchw) with { Resize = ResizeMode.Crop },
    };

    /// <summary>Names accepted by <c>--backbone</c>.</summary>
    public static IReadOnlyList<BackbonePreset> All { get; } = [ResNet18, Vgg16];

    public static BackbonePreset? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The preprocessing of each <see cref="PreprocessMode"/>, for any model that is not a preset.</summary>
    public static class Presets
    {
        /// <summary>torchvision (Keras <c>torch</c>): RGB, /255, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225].</summary>
        public static Preprocessing ImageNet(int width, int height, TensorLayout layout) => new()
        {
            Width = width, Height = height, Layout = layout, ColorOrder = ColorOrder.Rgb,
            Scale = 1f / 255f, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
        };

        /// <summary>Keras <c>preprocess_input</c> caffe mode: BGR, 0–255, minus [103.939, 116.779, 123.68], no std.</summary>
        public static Preprocessing Caffe(int width, int height, TensorLayout layout) => new()
        {
            Width = width, Height = height, Layout = layout, ColorOrder = ColorOrder.Bgr,
            Scale = 1f, Mean = [103.939f, 116.779f, 123.68f], Std = [1f, 1f, 1f],
        };

        /// <summary>Keras <c>preprocess_input</c> tf mode: RGB, (v / 255 − 0.5) / 0.5 = v / 127.5 − 1.</summary>
        public static Preprocessing Tf(int width, int height, TensorLayout layout) => new()
        {
            Width = width, Height = height, Layout = layout, ColorOrder = ColorOrder.Rgb,
            Scale = 1f / 255f, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f],
        };

        /// <summary>RGB scaled to 0–1, nothing else.</summary>
        public static Preprocessing Unit(int width, int height, TensorLayout layout) => new()
        {
            Width = width, Height = height, Layout = layout, ColorOrder = ColorOrder.Rgb,
            Scale = 1f / 255f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
        };

        public static Preprocessing Of(PreprocessMode mode, int width, int height, TensorLayout layout) => mode switch
        {
            PreprocessMode.Caffe => Caffe(width, height, layout),
            PreprocessMode.Tf => Tf(width, height, layout),
            PreprocessMode.Torch or PreprocessMode.ImageNet => ImageNet(width, height, layout),
            PreprocessMode.Unit => Unit(width, height, layout),
            _ => throw new InvalidSettingException("preprocess", mode.ToString(), SettingNames.Choices<PreprocessMode>()),
        };
    }
}
