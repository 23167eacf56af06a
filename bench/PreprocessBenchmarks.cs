using BenchmarkDotNet.Attributes;
using Pipeline.Extractor;
using Pipeline.Extractor.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Bench;

/// <summary>
/// Resize to 224×224 and normalise into the input buffer, from a decoded photo. Baseline: what one
/// writes first (ImageSharp Resize to a new image, then a per-pixel normalise loop). Fused: our
/// separable triangle filter straight into the buffer, then one FusedMultiplyAdd. And the cost of
/// one augmented view on top.
/// </summary>
[MemoryDiagnoser]
public class PreprocessBenchmarks
{
    private Image<Rgb24> _image = null!;
    private Preprocessor _pre = null!;
    private float[] _slot = null!;
    private readonly PreprocessScratch _scratch = new();

    public static IEnumerable<Case> Photos() => BenchData.TrainPhotos(2).Select(p => new Case(Path.GetFileName(p), p));

    [ParamsSource(nameof(Photos))]
    public Case Photo { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _image = Image.Load<Rgb24>(Photo.Value);
        _pre = new Preprocessor(BackbonePreset.Presets.ImageNet(224, 224, TensorLayout.Nchw));
        _slot = new float[_pre.SlotLength];
        _pre.Run(_image, _slot, _scratch);
    }

    [GlobalCleanup]
    public void Cleanup() => _image.Dispose();

    [Benchmark(Baseline = true)]
    public void ImageSharpResizeThenScalarNormalise() => _pre.RunWithImageSharpResize(_image, _slot);

    [Benchmark]
    public void FusedTriangleFilterAndFma() => _pre.Run(_image, _slot, _scratch);

    /// <summary>One augmented view (extract --augment): the fused resize, then an affine warp of the 224×224 result.</summary>
    [Benchmark]
    public void FusedPlusAugmentedView() => _pre.Run(_image, _slot, _scratch, _view);

    private readonly ViewTransform _view = new Augmentation { Views = 1, Seed = 1 }.For("cat/cat.1.jpg", 1, 224, 224);
}
