using System.Globalization;

namespace Pipeline.Head.Training;

/// <summary>
/// After a non-finite loss: the row whose standardised features are out of all proportion, if one is. A row of
/// 3e38 among ordinary rows leaves a fold's statistics finite but, held out, standardises to infinity; the
/// learning rate is not at fault then, and the error names the row instead.
/// </summary>
internal static class DivergenceCulprit
{
    /// <summary>Standardised magnitudes above this are no feature a backbone computes (they are ~±10 for real ones).</summary>
    private const double Extreme = 1e6;

    /// <summary>The first of <paramref name="rows"/> whose standardised features are non-finite or beyond <see cref="Extreme"/>, described; null if none is.</summary>
    public static string? Find(FeatureSource source, DenseHead model, IReadOnlyList<int> rows)
    {
        var (mean, invStd) = model.Standardization();   // (F), (F)
        var x = new float[source.FeatureLength];
        foreach (int r in rows)
        {
            source.ReadRow(r, x);
            double worst = 0;
            int at = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double z = Math.Abs(((double)x[i] - mean[i]) * invStd[i]);
                if (!(z <= worst))
                {
                    (worst, at) = (double.IsNaN(z) ? double.PositiveInfinity : z, i);
                }
            }

            if (worst > Extreme)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{source.Describe(r)} has feature {at} = {x[at]:G4}, {worst:G3} standard deviations from the training mean");
            }
        }

        return null;
    }
}
