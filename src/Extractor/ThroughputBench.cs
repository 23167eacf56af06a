using System.Diagnostics;
using Pipeline.Extractor.Images;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Extractor;

/// <summary>Images per second of each stage, measured in one run on the same images and threads.</summary>
public sealed record ThroughputReport(
    string Backbone, bool Synthetic, string Device, int Images, int Batch, int Workers, int Threads,
    double DecodeImagesPerSecond, double PreprocessImagesPerSecond, double InferenceImagesPerSecond, double EndToEndImagesPerSecond,
    double GflopsPerImage)
{
    /// <summary>Alternating rounds of inference alone and end to end; the rates are their medians.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>End to end over inference alone: 1.0 means decoding is completely hidden.</summary>
    public double EndToEndOverInference => EndToEndImagesPerSecond / InferenceImagesPerSecond;

    /// <summary>Share of one image's single-thread time per stage (decode, preprocess, inference).</summary>
    public (double Decode, double Preprocess, double Inference) Shares
    {
        get
        {
            double d = 1 / DecodeImagesPerSecond, p = 1 / PreprocessImagesPerSecond, i = 1 / InferenceImagesPerSecond;
            double total = d + p + i;
            return (d / total, p / total, i / total);
        }
    }
}

/// <summary>
/// <c>bench</c>: decode alone, inference alone on pre-made inputs, and the whole extraction path,
/// on the user's images and machine. Writes nothing to any cache.
/// </summary>
public static class ThroughputBench
{
    /// <summary>
    /// Measures each stage; inference alone and end to end alternate for <paramref name="rounds"/>
    /// rounds and the medians are reported, so a noisy neighbour hits both alike.
    /// </summary>
    public static ThroughputReport Run(Backbone backbone, IReadOnlyList<string> files, int batch, int workers, int rounds = 3)
    {
        workers = workers > 0 ? workers : FeatureExtractor.DefaultWorkers(backbone);
        var decoder = new ImageDecoder();
        var pre = new Preprocessor(backbone.Preprocessing, backbone.MeanImage);
        var scratch = new PreprocessScratch();
        var sha = new byte[32];

        // Decode alone (read + hash + decode), one thread: the cost each worker pays per image.
        var decoded = new List<SixLabors.ImageSharp.Image<Rgb24>>();
        var clock = Stopwatch.StartNew();
        foreach (var f in files)
        {
            decoder.ReadFile(f, sha);
            try
            {
                decoded.Add(decoder.Decode());
            }
            catch (InvalidImageException)
            {
            }
        }

        double decodeRate = files.Count / clock.Elapsed.TotalSeconds;

        // Preprocess alone (resize + normalise into the batch slot), one thread.
        var inputs = new float[decoded.Count * backbone.InputLength];
        clock.Restart();
        for (int i = 0; i < decoded.Count; i++)
        {
            pre.Run(decoded[i], inputs.AsSpan(i * backbone.InputLength, backbone.InputLength), scratch);
        }

        double preprocessRate = decoded.Count / clock.Elapsed.TotalSeconds;
        foreach (var image in decoded)
        {
            image.Dispose();
        }

        // Inference alone on the pre-made inputs, same batch and threads, alternating with the
        // extraction pipeline end to end (committing nowhere).
        var input = new float[batch * backbone.InputLength];
        var output = new float[batch * backbone.FeatureLength];
        backbone.Run(input, Math.Min(batch, decoded.Count), output);   // warm-up
        var work = files.Select((f, i) => new WorkItem(i, f)).ToList();
        var inferenceRates = new List<double>();
        var endToEndRates = new List<double>();
        for (int r = 0; r < Math.Max(1, rounds); r++)
        {
            clock.Restart();
            for (int start = 0; start < decoded.Count; start += batch)
            {
                int n = Math.Min(batch, decoded.Count - start);
                inputs.AsSpan(start * backbone.InputLength, n * backbone.InputLength).CopyTo(input);
                backbone.Run(input, n, output);
            }

            inferenceRates.Add(decoded.Count / clock.Elapsed.TotalSeconds);
            int done = 0;
            clock.Restart();
            new ExtractionPipeline(backbone, batch, workers, ImageDecoder.DefaultMaxPixels).Run(work, (states, _) => done += states.Count);
            endToEndRates.Add(done / clock.Elapsed.TotalSeconds);
        }

        double inferenceRate = Median(inferenceRates), endToEnd = Median(endToEndRates);
        return new ThroughputReport(backbone.Info.Name, backbone.Info.Synthetic, backbone.DeviceDescription, files.Count, batch, workers,
            backbone.Threads, decodeRate, preprocessRate, inferenceRate, endToEnd, backbone.GflopsPerImage) { Rounds = Math.Max(1, rounds) };
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
