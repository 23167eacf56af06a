namespace Pipeline.Bench;

/// <summary>Inputs for the benchmarks: the shared real photos, and a synthetic VGG16 made once.</summary>
internal static class BenchData
{
    public static string Photos { get; } = FindPhotos();

    /// <summary>The first <paramref name="count"/> training photos, cats and dogs alternating.</summary>
    public static IReadOnlyList<string> TrainPhotos(int count) =>
        Enumerable.Range(1, (count + 1) / 2).SelectMany(i => new[] { "cat", "dog" }.Select(c => Path.Combine(Photos, "train", c, $"{c}.{i}.jpg"))).Take(count).ToList();

    /// <summary>A VGG16 conv base with random weights (seed 1): speed only, never accuracy.</summary>
    public static string SyntheticVgg16()
    {
        string path = Path.Combine(Path.GetTempPath(), "pipeline-bench-vgg16-synthetic-seed1.onnx");
        if (!File.Exists(path))
        {
            SynthModels.Save(SynthModels.Vgg16(seed: 1), path);
        }

        return path;
    }

    /// <summary>The embedded ResNet18 quantized to int8 (calibrated on 64 shared training photos), made once in the temp folder.</summary>
    public static string QuantizedResNet18()
    {
        string path = Path.Combine(Path.GetTempPath(), "pipeline-bench-resnet18-int8.onnx");
        if (!File.Exists(path))
        {
            Pipeline.Extractor.Surgery.Int8Quantizer.Run(new Pipeline.Extractor.Backbones.QuantizeOptions
            {
                Backbone = new Pipeline.BackboneSpec { Device = Pipeline.DeviceRequest.Cpu },
                Calibration = Path.Combine(Photos, "train"), Output = path, Images = 64, Holdout = 0,
            });
        }

        return path;
    }

    /// <summary>A 4032×3024 quality-92 JPEG of the photo (what a phone writes), made once in the temp folder.</summary>
    public static string TwelveMegapixel(string photo)
    {
        string path = Path.Combine(Path.GetTempPath(), $"pipeline-bench-12mp-{Path.GetFileNameWithoutExtension(photo)}.jpg");
        if (!File.Exists(path))
        {
            using var source = SkiaSharp.SKBitmap.Decode(photo);
            using var big = source.Resize(new SkiaSharp.SKImageInfo(4032, 3024), new SkiaSharp.SKSamplingOptions(SkiaSharp.SKFilterMode.Linear));
            using var data = big.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 92);
            File.WriteAllBytes(path, data.ToArray());
        }

        return path;
    }

    private static string FindPhotos()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }

        string root = dir?.FullName ?? Directory.GetCurrentDirectory();
        return Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "cats-vs-dogs-small"));
    }
}

/// <summary>A benchmark case whose ToString() labels the column.</summary>
public sealed record Case(string Name, string Value)
{
    public override string ToString() => Name;
}
