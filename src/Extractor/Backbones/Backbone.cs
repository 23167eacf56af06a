using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Extractor.Backbones;

/// <summary>
/// A frozen CNN in ONNX Runtime that turns an input batch into feature rows. The one owner of its
/// <see cref="InferenceSession"/>. Input (N, 3, H, W) or (N, H, W, 3) float32 per
/// <see cref="Preprocessing"/>; output (N, FeatureLength) float32.
/// </summary>
internal sealed partial class Backbone : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _inputShape;    // (N, …) with N set per call
    private readonly long[] _outputShape;

    private Backbone(InferenceSession session, BackboneInfo info, Preprocessing preprocessing, float[]? meanImage,
                     string inputName, IReadOnlyList<int> featureShape, string deviceDescription, bool isCuda)
    {
        _session = session;
        Info = info;
        Preprocessing = preprocessing;
        MeanImage = meanImage;
        FeatureShape = featureShape;
        DeviceDescription = deviceDescription;
        IsCuda = isCuda;
        _inputNames = [inputName];
        _outputNames = [info.FeatureTensor];
        _inputShape = preprocessing.Layout == TensorLayout.Nchw
            ? [1, 3, preprocessing.Height, preprocessing.Width]
            : [1, preprocessing.Height, preprocessing.Width, 3];
        _outputShape = [1, .. featureShape.Select(d => (long)d)];
    }

    public BackboneInfo Info { get; }

    public Preprocessing Preprocessing { get; }

    /// <summary>Per-pixel mean image (3, H, W) in tensor channel order, or null.</summary>
    public float[]? MeanImage { get; }

    /// <summary>Shape of one feature row, e.g. (512, 1, 1).</summary>
    public IReadOnlyList<int> FeatureShape { get; }

    /// <summary>Floats of one feature row (checked at load to fit an array).</summary>
    public int FeatureLength => checked((int)FeatureShape.Aggregate(1L, (a, b) => a * b));

    /// <summary>Floats one image takes in the input batch (checked at load to fit an array).</summary>
    public int InputLength => checked((int)(3L * Preprocessing.Width * Preprocessing.Height));

    /// <summary>The model file as given (its full path): what a model error names.</summary>
    internal string ModelFile { get; init; } = "";

    /// <summary>The pooling the spec or the model's metadata named (flatten included); null: none, so a spatial map is average-pooled.</summary>
    internal Pooling? PoolAsked { get; init; }

    /// <summary>"CPU (2 threads)" or "CUDA device 0".</summary>
    public string DeviceDescription { get; }

    /// <summary>True when the session runs on ONNX Runtime's CUDA execution provider.</summary>
    public bool IsCuda { get; }

    /// <summary>The feature space this backbone writes (backbone and preprocessing; a cache adds dtype, classes, views, images).</summary>
    public FeatureSpace Space => new() { Backbone = Info, Preprocessing = Preprocessing };

    /// <summary>ONNX Runtime intra-op threads asked for (0: its default, one per core).</summary>
    public int Threads { get; init; }

    /// <summary>Multiply-adds ×2 of the convolutions and matrix products for one image, in GFLOPs.</summary>
    public double GflopsPerImage { get; init; }

    /// <summary>
    /// Runs <paramref name="count"/> images: <paramref name="input"/> holds count × <see cref="InputLength"/>
    /// floats, <paramref name="output"/> receives count × <see cref="FeatureLength"/>.
    /// </summary>
    public void Run(float[] input, int count, float[] output)
    {
        // Products in long: the buffers were sized (and refused if too big) by the caller; a wrapped int must not pass.
        ArgumentOutOfRangeException.ThrowIfLessThan(input.Length, (long)count * InputLength, nameof(input));
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, (long)count * FeatureLength, nameof(output));
        long[] inShape = (long[])_inputShape.Clone();
        long[] outShape = (long[])_outputShape.Clone();
        inShape[0] = count;
        outShape[0] = count;
        using var inValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(input, 0, count * InputLength), inShape);
        using var outValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(output, 0, count * FeatureLength), outShape);
        _session.Run(_runOptions, _inputNames, [inValue], _outputNames, [outValue]);
    }

    /// <summary>Ends ONNX Runtime's profiling (a backbone loaded with a profile prefix) and returns the profile's path.</summary>
    internal string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>Resolves a path relative to the tool's folder (for the packaged models).</summary>
    internal static string ToolPath(string relative) => Path.Combine(AppContext.BaseDirectory, relative);

    internal static byte[] Serialize(IMessage model) => model.ToByteArray();
}
