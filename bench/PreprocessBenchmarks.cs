using BenchmarkDotNet.Attributes;

namespace Pipeline.Bench;

/// <summary>
/// Resize to 224×224 and normalise into the input buffer, from a decoded photo. Baseline: the plain
/// scalar reference the tests check the fast path against. Fused: the vectorised separable filter
/// straight into the buffer. And the cost of one augmented view on top.
/// </summary>
[MemoryDiagnoser]
public class PreprocessBenchmarks
{
    private readonly DecodedImage _image = new();
    private readonly PreprocessScratch _scratch = new();
    private Preprocessor _pre = null!;
    private float[] _slot = null!;

    public static IEnumerable<Case> Photos() => BenchData.TrainPhotos(2).Select(p => new Case(Path.GetFileName(p), p));

    [ParamsSource(nameof(Photos))]
    public Case Photo { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var decoder = new ImageDecoder();
        decoder.ReadFile(Photo.Value, new byte[32]);
        decoder.Decode(_image);
        _pre = new Preprocessor(BackbonePreset.Presets.ImageNet(224, 224, TensorLayout.Nchw));
        _slot = new float[_pre.SlotLength];
    }

    [Benchmark(Baseline = true)]
    public void ScalarReference() => _pre.RunScalar(_image.Pixels, _image.Width, _image.Height, _slot);

    [Benchmark]
    public void FusedVectorised() => _pre.Run(_image, _slot, _scratch);

    /// <summary>One augmented view (extract --augment): the fused resize, then an affine warp of the 224×224 result.</summary>
    [Benchmark]
    public void FusedPlusAugmentedView() => _pre.Run(_image, _slot, _scratch, _view);

    private readonly ViewTransform _view = new Augmentation { Views = 1, Seed = 1 }.For("cat/cat.1.jpg", 1, 224, 224);
}
