namespace Pipeline.Head.Scoring;

/// <summary>
/// The Wilson score interval for a proportion (Wilson 1927): unlike the normal approximation it
/// stays inside [0, 1] and is honest for accuracies near 100 % on a few hundred images.
/// </summary>
internal static class Wilson
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The interval for <paramref name="successes"/> of <paramref name="n"/> trials; (0, 1) when n is 0.</summary>
    public static (double Low, double High) Interval(int successes, int n, double z = Z95)
    {
        if (n <= 0)
        {
            return (0, 1);
        }

        double p = (double)successes / n, z2 = z * z;
        double centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        double half = z / (1 + (z2 / n)) * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
