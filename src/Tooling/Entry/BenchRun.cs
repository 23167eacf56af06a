namespace Pipeline.Tooling;

/// <summary>What <c>bench</c> measured: the stages' rates, the FMA peak (NaN on CUDA) and, when profiled, where inference time went.</summary>
internal sealed record BenchRun(ThroughputReport Report, double PeakGflops, IReadOnlyList<OperatorShare>? Operators, string? ProfileFile)
{
    /// <summary>
    /// The <c>bench</c> command's whole measurement: loads the backbone <paramref name="spec"/> names, measures the FMA
    /// peak on the CPU, runs <see cref="ThroughputBench.Run"/>; with <paramref name="profileDir"/>, ONNX Runtime's
    /// per-operator profile is written to <c>profileDir/ort-profile.json</c> and summarised.
    /// </summary>
    public static BenchRun Measure(BackboneSpec spec, IReadOnlyList<string> files, int batch, int workers, int rounds, string? profileDir, Action<string>? log)
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
            return new BenchRun(report, peak, null, null);
        }

        string written = Path.Combine(profileDir, "ort-profile.json");
        File.Move(backbone.EndProfiling(), written, overwrite: true);
        var operators = OperatorProfile.Summarize(written).Select(o => new OperatorShare(o.Op, o.Milliseconds, o.Share, o.Calls)).ToList();
        return new BenchRun(report, peak, operators, written);
    }

    /// <summary>Up to <paramref name="count"/> images below <paramref name="folder"/> (the dataset walker's order; hidden files and link loops skipped).</summary>
    public static List<string> Images(string folder, int count) =>
        ImageFolder.FilesBelow(folder).Where(ImageFolder.IsImageFile).Take(count).ToList();
}
