using BenchmarkDotNet.Attributes;
using Pipeline.Extractor.Images;

namespace Pipeline.Bench;

/// <summary>Read + SHA-256 + decode of real JPEGs from the shared set, one thread.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private readonly ImageDecoder _decoder = new();
    private readonly byte[] _sha = new byte[32];

    public static IEnumerable<Case> Photos() => BenchData.TrainPhotos(3).Select(p => new Case(Path.GetFileName(p), p));

    [ParamsSource(nameof(Photos))]
    public Case Photo { get; set; } = null!;

    [Benchmark]
    public int ReadHashDecode()
    {
        _decoder.ReadFile(Photo.Value, _sha);
        using var image = _decoder.Decode();
        return image.Width;
    }
}
