using BenchmarkDotNet.Attributes;

namespace Pipeline.Bench;

/// <summary>
/// Per-image CPU cost, one thread: read + SHA-256 + decode + resize + normalise into the 224×224 input,
/// on shared photos (~500×375) and on 12-megapixel versions of them (4032×3024, quality 92, what a phone
/// writes), made in the set-up. Baseline: decode at full size, then resize. Scaled: libjpeg-turbo decodes
/// in the DCT domain at 1/2, 1/4 or 1/8 (the smallest size still covering the input), then resizes: the
/// tool's path.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private readonly byte[] _sha = new byte[32];
    private readonly DecodedImage _image = new();
    private readonly PreprocessScratch _scratch = new();
    private Preprocessor _pre = null!;
    private ImageDecoder _full = null!;
    private ImageDecoder _scaled = null!;
    private float[] _slot = null!;

    public static IEnumerable<Case> Photos() =>
        BenchData.TrainPhotos(2).SelectMany(p => new[] { new Case(Path.GetFileName(p), p), new Case($"{Path.GetFileNameWithoutExtension(p)} at 12 MP", p) });

    [ParamsSource(nameof(Photos))]
    public Case Photo { get; set; } = null!;

    private string _file = "";

    [GlobalSetup]
    public void Setup()
    {
        _file = Photo.Name.EndsWith("12 MP", StringComparison.Ordinal) ? BenchData.TwelveMegapixel(Photo.Value) : Photo.Value;
        var p = BackbonePreset.Presets.ImageNet(224, 224, TensorLayout.Nchw) with { Resize = ResizeMode.Crop };
        _pre = new Preprocessor(p);
        _slot = new float[_pre.SlotLength];
        _full = new ImageDecoder();
        _scaled = new ImageDecoder(p);
    }

    [Benchmark(Baseline = true)]
    public void FullDecodeThenResize() => Run(_full);

    [Benchmark]
    public void ScaledDecodeThenResize() => Run(_scaled);

    private void Run(ImageDecoder decoder)
    {
        decoder.ReadFile(_file, _sha);
        decoder.Decode(_image);
        _pre.Run(_image, _slot, _scratch);
    }
}
