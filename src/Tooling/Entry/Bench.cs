namespace Pipeline.Tooling;

/// <summary>
/// The speed tooling's entry point (<c>pipeline bench</c>, <c>bench photos</c>, <c>bench cache</c>): where extraction
/// time goes on this machine, and data sets at scale to time it on.
/// </summary>
public static class Bench
{
    /// <summary>
    /// The <c>bench</c> command's whole measurement: loads the backbone <paramref name="spec"/> names, measures the FMA
    /// peak on the CPU, then decode, preprocess, inference alone and end to end on <paramref name="files"/>; with
    /// <paramref name="profileDir"/>, ONNX Runtime's per-operator profile is written to <c>profileDir/ort-profile.json</c>
    /// and summarised. Writes no cache.
    /// </summary>
    /// <param name="spec">The backbone, as extract takes it.</param>
    /// <param name="files">The images to measure on (<see cref="Images"/>).</param>
    /// <param name="batch">Images per inference call.</param>
    /// <param name="workers">Decode workers end to end.</param>
    /// <param name="rounds">Alternating rounds of inference alone and end to end; the rates are their medians.</param>
    /// <param name="profileDir">Where to write ONNX Runtime's profile; null: not profiled.</param>
    /// <param name="log">Receives the backbone's info lines (device, precision).</param>
    public static BenchRun Measure(BackboneSpec spec, IReadOnlyList<string> files, int batch, int workers, int rounds, string? profileDir = null, Action<string>? log = null)
    {
        if (profileDir is not null)
        {
            Directory.CreateDirectory(profileDir);
            spec = spec with { ProfilePrefix = Path.Combine(profileDir, "ort-profile") };
        }

        using var backbone = Backbone.Load(spec, log);
        double peak = backbone.IsCuda ? double.NaN : FmaPeak.MeasureGflops(seconds: 1.0);
        var report = ThroughputBench.Run(backbone, files, batch, workers, rounds);
        if (profileDir is null)
        {
            return new BenchRun { Report = report, PeakGflops = peak };
        }

        string written = Path.Combine(profileDir, "ort-profile.json");
        File.Move(backbone.EndProfiling(), written, overwrite: true);
        var operators = OperatorProfile.Summarize(written).Select(o => new OperatorShare(o.Op, o.Milliseconds, o.Share, o.Calls)).ToList();
        return new BenchRun { Report = report, PeakGflops = peak, Operators = operators, ProfileFile = written };
    }

    /// <summary>Up to <paramref name="count"/> images below <paramref name="folder"/> (the dataset walker's order; hidden files and link loops skipped).</summary>
    public static IReadOnlyList<string> Images(string folder, int count) =>
        ImageFolder.FilesBelow(folder).Where(ImageFolder.IsImageFile).Take(count).ToList();

    /// <summary>
    /// <c>bench photos</c>: writes <paramref name="count"/> distinct JPEGs under <paramref name="target"/> made from the
    /// class-per-folder photos in <paramref name="source"/> (each cropped by a few pixels and re-encoded at its own
    /// quality), keeping the class folders.
    /// </summary>
    /// <returns>The bytes written.</returns>
    public static long Photos(string source, string target, int count) => PhotoSet.Make(source, target, count);

    /// <summary>
    /// <c>bench cache</c>: a synthetic split root (train, validation) at scale in <paramref name="output"/>, drawn from the
    /// real rows of the cache in <paramref name="source"/> (tiled to <paramref name="features"/> per row, Gaussian noise of
    /// <paramref name="noise"/> standard deviations added), for timing head training.
    /// </summary>
    public static void Cache(string source, string output, int trainRows, int validationRows, int features, double noise, int seed) =>
        SyntheticCache.Make(source, output, trainRows, validationRows, features, noise, seed);
}
