using System.Text.Json.Serialization;

namespace Pipeline;

/// <summary>Memory order of the backbone's input tensor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TensorLayout>))]
public enum TensorLayout
{
    /// <summary>(N, 3, H, W): PyTorch, CNTK, the ONNX Model Zoo.</summary>
    Nchw,

    /// <summary>(N, H, W, 3): Keras / tf2onnx exports.</summary>
    Nhwc,
}

/// <summary>Order of the three colour channels in the input tensor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ColorOrder>))]
public enum ColorOrder
{
    /// <summary>Red, green, blue (torchvision, Keras <c>tf</c> and <c>torch</c> modes).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe and Keras <c>caffe</c> mode, the ResNet18 CNTK export).</summary>
    Bgr,
}

/// <summary>How an image of any size becomes the backbone's H×W.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResizeMode>))]
public enum ResizeMode
{
    /// <summary>Stretch the whole image to H×W, as Keras' <c>target_size</c> does.</summary>
    Squash,

    /// <summary>Scale the shorter side to fit, then cut the centre H×W.</summary>
    Crop,
}

/// <summary>
/// The full preprocessing contract of a backbone: every field changes the features, so all of
/// them go into the cache manifest and a cache is only reused when they all match.
/// Each pixel value v (0–255) of channel c at pixel p becomes <c>(v * Scale - mean) / Std[c]</c>,
/// where mean is <c>Mean[c]</c>, or <c>MeanImage[c, p]</c> when the backbone ships a mean image.
/// </summary>
internal sealed record Preprocessing
{
    public required int Width { get; init; }

    public required int Height { get; init; }

    public required TensorLayout Layout { get; init; }

    public required ColorOrder ColorOrder { get; init; }

    /// <summary>Multiplies the 0–255 pixel first: 1 for caffe-style models, 1/255 for unit range.</summary>
    public required float Scale { get; init; }

    /// <summary>Per-channel mean in tensor channel order, after <see cref="Scale"/>.</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per-channel standard deviation in tensor channel order.</summary>
    public required float[] Std { get; init; }

    /// <summary>SHA-256 of a per-pixel mean image (C, H, W) used instead of <see cref="Mean"/>; null when none.</summary>
    public string? MeanImageSha256 { get; init; }

    public ResizeMode Resize { get; init; } = ResizeMode.Squash;

    /// <summary>Resampling: bilinear (triangle) with antialiasing when shrinking, after the decoder's own k/8 JPEG scaling (see ImageDecoder).</summary>
    public string Interpolation { get; init; } = "bilinear, decoder-scaled";

    /// <summary>A stable one-line description, used in error messages that compare two caches.</summary>
    public string Describe() =>
        $"{Width}x{Height} {Layout} {ColorOrder} scale={Scale:R} mean=[{string.Join(",", Mean.Select(m => m.ToString("R")))}]" +
        $" std=[{string.Join(",", Std.Select(s => s.ToString("R")))}]" +
        (MeanImageSha256 is null ? "" : $" meanImage={Sha256.Short(MeanImageSha256)}") +
        $" resize={Resize} {Interpolation}";

    public bool SameAs(Preprocessing other) => Describe() == other.Describe();
}
