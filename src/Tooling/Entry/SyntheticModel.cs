namespace Pipeline.Tooling;

/// <summary>The backbones <see cref="SyntheticModels.Write"/> makes, with random weights, for speed tests.</summary>
public enum SyntheticModel
{
    /// <summary>A small CNN for tests.</summary>
    Tiny,

    /// <summary>VGG16's conv base exactly (input <c>data</c> (N, 3, 224, 224), output <c>pool5</c> (N, 512, 7, 7)).</summary>
    Vgg16,

    /// <summary>A full classifier with MobileNet's operators (depthwise convolutions, Relu6), at toy width.</summary>
    MobileNetLike,

    /// <summary>A full classifier with SqueezeNet's operators (fire modules), at toy width.</summary>
    SqueezeNetLike,

    /// <summary>A vision transformer as torch.onnx exports it: tokens and a pooled output.</summary>
    Vit,
}
