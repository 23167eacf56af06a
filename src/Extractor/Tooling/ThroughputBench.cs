using System.Diagnostics;
using Pipeline.Extractor.Images;

namespace Pipeline.Extractor.Tooling;

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
        var decoder = new ImageDecoder(backbone.Preprocessing);
        var pre = new Preprocessor(backbone.Preprocessing, backbone.MeanImage);
        var scratch = new PreprocessScratch();
        var image = new DecodedImage();
        var sha = new byte[32];

        // One thread: read + hash + decode, then resize + normalise into the batch slot, timed
        // apart: together they are the CPU each worker pays per image.
        var inputs = new float[files.Count * backbone.InputLength];
        long decodeTicks = 0, preprocessTicks = 0;
        int decodedCount = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            // Pass 0 warms the JIT and the scratch buffers; pass 1 is measured.
            decodeTicks = preprocessTicks = 0;
            decodedCount = 0;
            foreach (var f in files)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    decoder.ReadFile(f, sha);
                    decoder.Decode(image);
                }
                catch (InvalidImageException)
                {
                    continue;
                }

                long t1 = Stopwatch.GetTimestamp();
                pre.Run(image, inputs.AsSpan(decodedCount++ * backbone.InputLength, backbone.InputLength), scratch);
                decodeTicks += t1 - t0;
                preprocessTicks += Stopwatch.GetTimestamp() - t1;
            }
        }

        double decodeRate = decodedCount / (decodeTicks / (double)Stopwatch.Frequency);
        double preprocessRate = decodedCount / (preprocessTicks / (double)Stopwatch.Frequency);

        // Inference alone on the pre-made inputs, same batch and threads, alternating with the
        // extraction pipeline end to end (committing nowhere).
        var input = new float[batch * backbone.InputLength];
        var output = new float[batch * backbone.FeatureLength];
        backbone.Run(input, Math.Min(batch, decodedCount), output);   // warm-up
        var work = files.Select((f, i) => new WorkItem(i, f)).ToList();
        var clock = new Stopwatch();
        var inferenceRates = new List<double>();
        var endToEndRates = new List<double>();
        for (int r = 0; r < Math.Max(1, rounds); r++)
        {
            clock.Restart();
            for (int start = 0; start < decodedCount; start += batch)
            {
                int n = Math.Min(batch, decodedCount - start);
                inputs.AsSpan(start * backbone.InputLength, n * backbone.InputLength).CopyTo(input);
                backbone.Run(input, n, output);
            }

            inferenceRates.Add(decodedCount / clock.Elapsed.TotalSeconds);
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
