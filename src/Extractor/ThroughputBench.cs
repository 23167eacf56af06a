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
    public static ThroughputReport Run(Backbone backbone, IReadOnlyList<string> files, int batch, int workers, int repeats = 1)
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

        // Inference alone on the pre-made inputs, same batch and threads.
        var input = new float[batch * backbone.InputLength];
        var output = new float[batch * backbone.FeatureLength];
        backbone.Run(input, Math.Min(batch, decoded.Count), output);   // warm-up
        int done = 0;
        clock.Restart();
        for (int r = 0; r < repeats; r++)
        {
            for (int start = 0; start < decoded.Count; start += batch)
            {
                int n = Math.Min(batch, decoded.Count - start);
                inputs.AsSpan(start * backbone.InputLength, n * backbone.InputLength).CopyTo(input);
                backbone.Run(input, n, output);
                done += n;
            }
        }

        double inferenceRate = done / clock.Elapsed.TotalSeconds;

        // End to end: the extraction pipeline, committing nowhere.
        var work = files.Select((f, i) => (i, f)).ToList();
        done = 0;
        clock.Restart();
        for (int r = 0; r < repeats; r++)
        {
            new ExtractionPipeline(backbone, batch, workers, ImageDecoder.DefaultMaxPixels).Run(work, (states, _) => done += states.Count);
        }

        double endToEnd = done / clock.Elapsed.TotalSeconds;
        return new ThroughputReport(backbone.Info.Name, backbone.Info.Synthetic, backbone.DeviceDescription, files.Count, batch, workers,
            backbone.Threads, decodeRate, preprocessRate, inferenceRate, endToEnd, backbone.GflopsPerImage);
    }
}
