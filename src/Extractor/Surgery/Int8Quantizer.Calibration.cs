using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>Calibration: the sampled images decoded in batches, and every planned tensor's range over them.</summary>
internal static partial class Int8Quantizer
{
    /// <summary>Decodes and preprocesses <paramref name="files"/> in batches; bad files are listed in <paramref name="skipped"/>.</summary>
    internal static IEnumerable<(float[] Input, int Count)> Batches(Preprocessing p, IReadOnlyList<string> files, List<string> skipped)
    {
        var decoder = new ImageDecoder(p);
        var preprocessor = new Preprocessor(p);
        var scratch = new PreprocessScratch();
        var image = new DecodedImage();
        int length = 3 * p.Width * p.Height;
        var input = new float[Batch * length];
        int count = 0;
        var sha = new byte[32];
        foreach (var file in files)
        {
            try
            {
                decoder.ReadFile(file, sha);
                decoder.Decode(image);
                preprocessor.Run(image, input.AsSpan(count * length, length), scratch);
                count++;
            }
            catch (Exception e) when (InvalidImageException.IsFileProblem(e))
            {
                // As extract does: whatever one file does to the decoder is that file's skip reason, never the run's end.
                skipped.Add($"{file}: {InvalidImageException.SkipReason(e)}");
                continue;
            }

            if (count == Batch)
            {
                yield return (input, count);
                count = 0;
            }
        }

        if (count > 0)
        {
            yield return (input, count);
        }
    }

    internal static InferenceSession Session(byte[] model, int threads, string? optimizedPath = null)
    {
        using var options = CpuSessionOptions.Create(threads);
        if (optimizedPath is not null)
        {
            options.OptimizedModelFilePath = optimizedPath;
        }

        return new InferenceSession(model, options);
    }

    internal static long[] Shape(Preprocessing p, int count) => p.Layout == TensorLayout.Nchw ? [count, 3, p.Height, p.Width] : [count, p.Height, p.Width, 3];

    /// <summary>The (min, max) of every planned tensor over the images, or null when no image decoded.</summary>
    private static Dictionary<string, (float Min, float Max)>? Calibrate(ModelProto folded, Int8Graph.Plan plan, Preprocessing p, IReadOnlyList<string> files,
        CalibrationMethod method, int threads, List<string> skipped)
    {
        using var session = Session(GraphSurgery.WithFloatOutputs(folded, plan.Calibrated).ToByteArray(), threads);
        string inputName = OnnxGraph.RealInputs(folded.Graph).First().Name;
        var min = plan.Calibrated.ToDictionary(t => t, _ => float.PositiveInfinity, StringComparer.Ordinal);
        var max = plan.Calibrated.ToDictionary(t => t, _ => float.NegativeInfinity, StringComparer.Ordinal);
        var samples = plan.Calibrated.ToDictionary(t => t, _ => new List<float>(), StringComparer.Ordinal);
        int images = 0;
        foreach (var (input, count) in Batches(p, files, skipped))
        {
            images += count;
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(input, 0, count * input.Length / Batch), Shape(p, count));
            using var run = new RunOptions();
            using var outputs = session.Run(run, [inputName], [value], plan.Calibrated.ToArray());
            for (int i = 0; i < plan.Calibrated.Count; i++)
            {
                string t = plan.Calibrated[i];
                var data = outputs[i].GetTensorDataAsSpan<float>();
                min[t] = Math.Min(min[t], System.Numerics.Tensors.TensorPrimitives.Min(data));
                max[t] = Math.Max(max[t], System.Numerics.Tensors.TensorPrimitives.Max(data));
                if (method == CalibrationMethod.Percentile)
                {
                    int step = Math.Max(1, data.Length / (SamplesPerImage * count)) | 1;   // odd: no lock-step with even widths
                    for (int j = 0; j < data.Length; j += step)
                    {
                        samples[t].Add(data[j]);
                    }
                }
            }
        }

        if (images == 0)
        {
            return null;
        }

        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        foreach (var t in plan.Calibrated)
        {
            if (method == CalibrationMethod.MinMax)
            {
                ranges[t] = (min[t], max[t]);
                continue;
            }

            var s = samples[t];
            s.Sort();
            float lo = s[(int)((s.Count - 1) * (1 - Percentile))], hi = s[(int)((s.Count - 1) * Percentile)];
            ranges[t] = (Math.Max(min[t], lo), Math.Min(max[t], hi));
        }

        return ranges;
    }
}
