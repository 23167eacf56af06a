namespace Pipeline;

/// <summary>
/// How a model that is not a preset wants its pixels, as Keras applications' <c>preprocess_input</c> modes and
/// torchvision define them. Each pixel value v (0–255) becomes (v · scale − mean[c]) / std[c]:
/// </summary>
public enum PreprocessMode
{
    /// <summary>Keras <c>caffe</c> (VGG16, ResNet50): BGR, 0–255, minus [103.939, 116.779, 123.68], no std.</summary>
    Caffe,

    /// <summary>Keras <c>tf</c> (MobileNet, MobileNetV2, Inception, Xception): RGB, v / 127.5 − 1, in [−1, 1].</summary>
    Tf,

    /// <summary>Keras <c>torch</c> and torchvision: RGB, v / 255, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225].</summary>
    Torch,

    /// <summary>The same as <see cref="Torch"/>, under the name earlier versions used.</summary>
    ImageNet,

    /// <summary>RGB scaled to [0, 1], nothing else (EfficientNet in Keras takes 0–255 and rescales inside: use caffe's scale with zero mean).</summary>
    Unit,
}
