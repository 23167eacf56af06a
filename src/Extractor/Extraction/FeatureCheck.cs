using System.Globalization;
using System.Numerics.Tensors;

namespace Pipeline.Extractor.Extraction;

/// <summary>
/// Every batch's feature rows are checked before they are kept: a NaN or an infinity (or, for a float16 cache, a value
/// float16 cannot hold) stops the run with its cause and remedy, the rows of earlier batches staying committed. One
/// vectorised pass per batch (a sum, or the largest magnitude); a row is looked at alone only once the batch fails.
/// </summary>
internal static class FeatureCheck
{
    /// <summary>The largest finite float16, 65,504: a float32 feature above it is ±infinity in a float16 cache.</summary>
    public const float Float16Max = 65504f;

    /// <summary>
    /// Refuses a batch with a non-finite value in a row that was run (skipped slots hold no image): fp16 inference
    /// overflowed, or the model itself gave it.
    /// </summary>
    /// <param name="rows">(count, F) features of the batch.</param>
    public static void Finite(Backbone backbone, ReadOnlySpan<float> rows, IReadOnlyList<RowState> states, IReadOnlyList<WorkItem> work)
    {
        if (float.IsFinite(TensorPrimitives.Sum(rows)))
        {
            return;
        }

        int f = backbone.FeatureLength;
        for (int i = 0; i < states.Count; i++)
        {
            var row = rows.Slice(i * f, f);
            if (states[i].Skip is not null || float.IsFinite(TensorPrimitives.Sum(row)))
            {
                continue;
            }

            int k = FirstNonFinite(row);
            if (k < 0)
            {
                continue;   // a sum too large for float32 of finite values: nothing to refuse
            }

            string value = row[k].ToString(CultureInfo.InvariantCulture);
            if (backbone.Info.Precision == Precision.Fp16)
            {
                Throw.InvalidSetting("precision", "fp16", $"fp32 (or tf32 on CUDA): computed in float16, the features of '{work[i].File}' overflow " +
                    $"(feature {k} is {value}; float16 holds at most ±65,504)");
            }

            Throw.BadModel(backbone.ModelFile, $"gives a non-finite feature for image '{work[i].File}' (feature {k} of output '{backbone.Info.FeatureTensor}' is {value})",
                "check the model's weights and its preprocessing (mean, std, scale): features that are NaN or infinite cannot be trained on");
        }
    }

    /// <summary>Refuses a batch bound for a float16 cache with a feature beyond float16's range, naming the image.</summary>
    /// <param name="rows">(count, F) features of the batch.</param>
    public static void FitFloat16(ReadOnlySpan<float> rows, int featureLength, IReadOnlyList<RowState> states, Func<int, string> fileOfRow)
    {
        if (rows.Length == 0 || Math.Abs(TensorPrimitives.MaxMagnitude(rows)) <= Float16Max)
        {
            return;
        }

        for (int i = 0; i < states.Count; i++)
        {
            var row = rows.Slice(i * featureLength, featureLength);
            float largest = Math.Abs(TensorPrimitives.MaxMagnitude(row));
            if (states[i].Skip is null && largest > Float16Max)
            {
                Throw.InvalidSetting("dtype", "float16", $"float32: the features of '{fileOfRow(states[i].Row)}' reach {largest.ToString("G6", CultureInfo.InvariantCulture)}, " +
                    "beyond float16's largest value 65,504, so a float16 cache would hold infinity");
            }
        }
    }

    private static int FirstNonFinite(ReadOnlySpan<float> row)
    {
        for (int k = 0; k < row.Length; k++)
        {
            if (!float.IsFinite(row[k]))
            {
                return k;
            }
        }

        return -1;
    }
}
