using System.Diagnostics;

namespace Pipeline.Tooling;

/// <summary>
/// <c>bench</c>: decode alone, inference alone on pre-made inputs, and the whole extraction path,
/// on the user's images and machine. Writes nothing to any cache.
/// </summary>
internal static class ThroughputBench
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

        // One thread, on a sample of up to 512 images: read + hash + decode, then resize + normalise into
        // the batch slot, timed apart: together they are the CPU each worker pays per image. The sample's
        // inputs are the pool inference alone cycles through, so 25,000 images need no 15 GB of inputs.
        var sample = files.Take(Math.Min(files.Count, Math.Max(512, batch))).ToList();
        var batches = Enumerable.Range(0, (sample.Count + batch - 1) / batch).Select(_ => new float[batch * backbone.InputLength]).ToArray();
        long decodeTicks = 0, preprocessTicks = 0;
        int decodedCount = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            // Pass 0 warms the JIT and the scratch buffers; pass 1 is measured.
            decodeTicks = preprocessTicks = 0;
            decodedCount = 0;
            foreach (var f in sample)
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
                var slot = batches[decodedCount / batch].AsSpan((decodedCount % batch) * backbone.InputLength, backbone.InputLength);
                decodedCount++;
                pre.Run(image, slot, scratch);
                decodeTicks += t1 - t0;
                preprocessTicks += Stopwatch.GetTimestamp() - t1;
            }
        }

        double decodeRate = decodedCount / (decodeTicks / (double)Stopwatch.Frequency);
        double preprocessRate = decodedCount / (preprocessTicks / (double)Stopwatch.Frequency);

        // Inference alone on the pre-made inputs (cycling through the pool until every image has had its
        // turn), same batch and threads, alternating with the extraction pipeline end to end (committing nowhere).
        int total = decodedCount == 0 ? 0 : files.Count, pool = (decodedCount + batch - 1) / batch;
        var output = new float[batch * backbone.FeatureLength];
        backbone.Run(batches[0], Math.Min(batch, decodedCount), output);   // warm-up
        var work = files.Select((f, i) => new WorkItem(i, f)).ToList();
        var clock = new Stopwatch();
        var inferenceRates = new List<double>();
        var endToEndRates = new List<double>();
        for (int r = 0; r < Math.Max(1, rounds); r++)
        {
            clock.Restart();
            for (int start = 0; start < total; start += batch)
            {
                backbone.Run(batches[(start / batch) % pool], Math.Min(batch, total - start), output);   // no copy: batches made once
            }

            inferenceRates.Add(total / clock.Elapsed.TotalSeconds);
            int done = 0;
            clock.Restart();
            new ExtractionPipeline(backbone, batch, workers, ImageDecoder.DefaultMaxPixels).Run(work, (states, _) => done += states.Count);
            endToEndRates.Add(done / clock.Elapsed.TotalSeconds);
        }

        double inferenceRate = Median(inferenceRates), endToEnd = Median(endToEndRates);
        return new ThroughputReport
        {
            Backbone = backbone.Info.Name, Synthetic = backbone.Info.Synthetic, Device = backbone.DeviceDescription, Images = files.Count, Batch = batch,
            Workers = workers, Threads = backbone.Threads, DecodeImagesPerSecond = decodeRate, PreprocessImagesPerSecond = preprocessRate,
            InferenceImagesPerSecond = inferenceRate, EndToEndImagesPerSecond = endToEnd, GflopsPerImage = backbone.GflopsPerImage, Rounds = Math.Max(1, rounds),
        };
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
