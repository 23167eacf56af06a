namespace Pipeline.Extractor.Images;

/// <summary>
/// Weights of a 1-D triangle (bilinear) filter from a source extent onto n output samples. When
/// shrinking, the filter widens by the ratio (antialiasing, as PIL and ImageSharp do), so every
/// source pixel contributes. Arrays grow and are reused: building allocates nothing in steady state.
/// </summary>
internal sealed class FilterKernel
{
    public int[] Start = [];
    public int[] Count = [];
    public float[] Weights = [];   // (n, MaxTaps), row i holds Count[i] weights from Start[i]
    public int MaxTaps;

    public FilterKernel Build(double srcStart, double srcExtent, int srcSize, int n)
    {
        double scale = srcExtent / n;
        double support = Math.Max(scale, 1.0);   // triangle radius in source pixels
        MaxTaps = (int)Math.Ceiling(support) * 2 + 2;
        if (Start.Length < n)
        {
            Start = new int[n];
            Count = new int[n];
        }

        if (Weights.Length < n * MaxTaps)
        {
            Weights = new float[n * MaxTaps];
        }

        for (int i = 0; i < n; i++)
        {
            double center = srcStart + (i + 0.5) * scale;
            int lo = Math.Max((int)Math.Floor(center - support), 0);
            int hi = Math.Min((int)Math.Ceiling(center + support), srcSize);
            Span<float> w = Weights.AsSpan(i * MaxTaps, MaxTaps);
            double sum = 0;
            int count = 0;
            for (int j = lo; j < hi && count < MaxTaps; j++)
            {
                double t = 1.0 - Math.Abs((j + 0.5 - center) / support);
                if (t <= 0 && count == 0)
                {
                    lo++;
                    continue;
                }

                w[count++] = (float)Math.Max(t, 0);
                sum += Math.Max(t, 0);
            }

            if (sum <= 0)
            {
                // Degenerate (sub-pixel source): take the nearest pixel.
                lo = Math.Clamp((int)center, 0, srcSize - 1);
                w[0] = 1;
                count = 1;
                sum = 1;
            }

            for (int t = 0; t < count; t++)
            {
                w[t] = (float)(w[t] / sum);
            }

            Start[i] = lo;
            Count[i] = count;
        }

        return this;
    }
}
