namespace Pipeline.Tests.Head.Scoring;

/// <summary>Temperature scaling and the expected calibration error against hand-computed references.</summary>
public sealed class TemperatureScalingTests
{
    /// <summary>Labels drawn from softmax(z / 2): the fit recovers T = 2 (20,000 rows, seeded).</summary>
    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void FitRecoversTheTemperatureTheLabelsWereDrawnWith(double truth)
    {
        const int n = 20_000, k = 3;
        var rng = new Random(5);
        var logits = new float[n * k];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < k; c++)
            {
                logits[(i * k) + c] = (float)(rng.NextDouble() * 8 - 4);
            }

            var p = logits.AsSpan(i * k, k).ToArray();
            TemperatureScaling.Softmax(p, k, truth);
            double u = rng.NextDouble(), cumulative = 0;
            labels[i] = k - 1;
            for (int c = 0; c < k; c++)
            {
                cumulative += p[c];
                if (u < cumulative)
                {
                    labels[i] = c;
                    break;
                }
            }
        }

        double fitted = TemperatureScaling.FitTemperature(logits, labels, k);
        Assert.True(Math.Abs(fitted - truth) / truth < 0.05, $"fitted T {fitted}, drawn with {truth}");
        Assert.True(TemperatureScaling.NegativeLogLikelihood(logits, labels, k, fitted) <= TemperatureScaling.NegativeLogLikelihood(logits, labels, k, 1));

        var before = TemperatureScaling.Reliability(Scaled(logits, k, 1), labels, k);
        var after = TemperatureScaling.Reliability(Scaled(logits, k, fitted), labels, k);
        Assert.True(TemperatureScaling.ExpectedError(after) < 0.02, $"ECE after {TemperatureScaling.ExpectedError(after)}");
        Assert.True(TemperatureScaling.ExpectedError(before) > 0.05, $"ECE before {TemperatureScaling.ExpectedError(before)}");
    }

    /// <summary>Two rows: 0.9 right (bin 13 of 15), 0.75 wrong (bin 11): ECE = ½·|1 − 0.9| + ½·|0 − 0.75| = 0.425.</summary>
    [Fact]
    public void ExpectedErrorWeighsEachBinsGapByItsShare()
    {
        float[] p = [0.9f, 0.1f, 0.75f, 0.25f];
        var bins = TemperatureScaling.Reliability(p, [0, 1], 2);
        Assert.Equal(15, bins.Count);
        Assert.Equal(1, bins[13].Count);
        Assert.Equal(1, bins[11].Count);
        Assert.Equal(1.0, bins[13].Accuracy);
        Assert.Equal(0.0, bins[11].Accuracy);
        Assert.Equal(0.425, TemperatureScaling.ExpectedError(bins), 6);
    }

    /// <summary>Bin b holds (b/15, (b+1)/15]: an edge belongs to the bin below it, and 1 to the last.</summary>
    [Theory]
    [InlineData(1.0, 14)]
    [InlineData(1.0 / 15, 0)]
    [InlineData(0.5, 7)]
    [InlineData(0.0, 0)]
    public void ConfidenceFallsInTheBinWhoseUpperEdgeItReaches(double confidence, int bin) =>
        Assert.Equal(bin, TemperatureScaling.Bin(confidence));

    /// <summary>Rows no temperature can improve (every row right with the same margin either way) keep T = 1; no rows too.</summary>
    [Fact]
    public void NothingToFitKeepsTemperatureOne()
    {
        Assert.Equal(1, TemperatureScaling.FitTemperature([], [], 2));
        Assert.Equal(1, TemperatureScaling.FitTemperature([0f, 0f, 0f, 0f], [0, 1], 2));
    }

    private static float[] Scaled(float[] logits, int k, double t)
    {
        var p = (float[])logits.Clone();
        TemperatureScaling.Softmax(p, k, t);
        return p;
    }
}
