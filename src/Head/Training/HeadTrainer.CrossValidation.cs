using System.Diagnostics;

namespace Pipeline.Head.Training;

internal static partial class HeadTrainer
{
    /// <summary>
    /// Epochs without a better mean held-out loss after which every fold stops. On the shared photos the mean
    /// held-out loss bottoms out near epoch 21 of 40 and its curve is smooth (K folds averaged), so the
    /// chosen epoch is the same as training all 40 (README, "Head training at scale"). A positive
    /// <see cref="HeadOptions.Patience"/> replaces it.
    /// </summary>
    public const int CrossValidationPatience = 8;

    /// <summary>
    /// K-fold cross-validation over training + validation images: folds stratified by class, an image's views
    /// always in its fold. The K models train together, an epoch at a time, each scored on its held-out clean
    /// rows after every epoch; the epoch count with the lowest mean held-out loss wins, and all stop once it has
    /// not improved for <see cref="HeadOptions.Patience"/> epochs (<see cref="CrossValidationPatience"/> when that is 0). From <paramref name="singleFoldFrom"/>
    /// images on, only the first fold is trained (one stratified held-out 1/K).
    /// </summary>
    internal static CrossValidation CrossValidate(FeatureCache train, FeatureCache? validation, HeadOptions options, int folds, int singleFoldFrom = int.MaxValue)
    {
        Validate(train, validation, options);
        CheckClassWeights(train.Classes, options);
        var clock = Stopwatch.StartNew();
        var source = FeatureSource.Of(train, validation, options.Exclude);
        var images = Images(source);
        var foldOf = Folds(images, source, folds, options.Seed);
        int trained = images.Length >= singleFoldFrom ? 1 : folds;
        int patience = options.Patience > 0 ? options.Patience : CrossValidationPatience;
        var device = TorchDevice.Choose(options.Device);
        using var rows = new FeatureRows(source, options.Batch, device);
        var runs = new List<FoldRun>();
        try
        {
            for (int k = 0; k < trained; k++)
            {
                var fitViews = images.Where((_, i) => foldOf[i] != k).ToArray();
                var heldOut = images.Where((_, i) => foldOf[i] == k).Select(v => v[0]).ToArray();
                runs.Add(new FoldRun(source, rows, fitViews, heldOut, options with { Patience = 0 }, device));
            }

            var meanLoss = new List<double>();
            int best = 0;
            float[][] outOfFold = [];   // per fold, its held-out logits (rows, classes) at the best epoch so far
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                meanLoss.Add(runs.Average(r => r.RunEpoch(epoch).ValLoss!.Value));
                if (meanLoss[^1] < meanLoss[best])
                {
                    best = epoch - 1;
                }
                else if (epoch - 1 - best >= patience)
                {
                    break;
                }

                if (best == epoch - 1)
                {
                    outOfFold = runs.Select(r => r.HeldOutLogits).ToArray();
                }
            }

            var oofLogits = outOfFold.SelectMany(l => l).ToArray();
            var oofLabels = runs.SelectMany(r => r.HeldOut!.Select(row => source.Labels[row])).ToArray();
            var oofRows = runs.SelectMany(r => r.HeldOut!).ToArray();
            // Multi-label: thresholds instead of a temperature (temperature scaling is a softmax's calibration).
            var thresholds = source.MultiLabel ? MultiLabelThresholds.Choose(source, oofRows, oofLogits) : null;
            double? microF1 = thresholds is null ? null : HeldOutMicroF1(source, oofRows, oofLogits, thresholds);

            double flops = runs.Sum(r => r.Flops);
            var losses = runs.Select(r => r.History[best].ValLoss!.Value).ToArray();
            var accuracies = runs.Select(r => r.History[best].ValAccuracy!.Value).ToArray();
            var (loss, lossSe) = MeanAndStdErr(losses);
            var (acc, accSe) = MeanAndStdErr(accuracies);
            if (trained == 1)
            {
                // One fold: the standard errors of its n held-out images (binomial for the accuracy).
                int n = runs[0].HeldOut!.Length;
                lossSe = runs[0].HeldOutLossSpread[best] / Math.Sqrt(n);
                accSe = Math.Sqrt(acc * (1 - acc) / n);
            }

            var calibration = source.MultiLabel ? HeldOutCalibration.Off : HeldOutTemperature(options, oofLogits, oofLabels, source.ClassCount, lossSe);

            return new CrossValidation
            {
                Folds = folds, BestEpoch = best + 1, Loss = loss, LossStdErr = lossSe, Accuracy = acc, AccuracyStdErr = accSe, Images = images.Length,
                Seconds = clock.Elapsed.TotalSeconds,
                FoldsTrained = trained,
                EpochsRun = meanLoss.Count,
                Flops = flops,
                Temperature = calibration.Temperature,
                FittedTemperature = calibration.Fitted,
                TemperatureGain = calibration.Gain,
                CalibrationErrorBefore = source.MultiLabel ? 0 : CalibrationError(oofLogits, oofLabels, source.ClassCount, 1),
                CalibrationErrorAfter = source.MultiLabel ? 0 : CalibrationError(oofLogits, oofLabels, source.ClassCount, calibration.Fitted),
                Thresholds = thresholds,
                MicroF1 = microF1,
            };
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Dispose();
            }
        }
    }

    /// <summary>
    /// The final head: every training and validation image, <paramref name="epochs"/> epochs, nothing held out.
    /// After cross-validation (<paramref name="cv"/>) nothing chose it but held-out folds.
    /// </summary>
    internal static TrainedHead FitAll(FeatureCache train, FeatureCache? validation, HeadOptions options, int epochs, CrossValidation? cv, Action<EpochRecord>? log = null)
    {
        var total = Stopwatch.StartNew();
        var source = FeatureSource.Of(train, validation, options.Exclude);
        var images = Images(source);
        var refit = options with { Epochs = epochs };
        var fit = Fit(source, images, null, refit, log);
        return new TrainedHead(fit.Model, train.Manifest, refit, fit.History, fit.BestEpoch, (cv?.Seconds ?? 0) + total.Elapsed.TotalSeconds)
        {
            TrainFlops = (cv?.Flops ?? 0) + fit.Flops,
            ViewsPerEpoch = options.AllViews ? images.Max(v => v.Length) : 1,
            ViewsCached = images.Max(v => v.Length),
            TrainImages = images.Length,
            CrossValidation = cv,
            Temperature = cv?.Temperature ?? 1,
            Thresholds = source.MultiLabel ? cv?.Thresholds ?? MultiLabelThresholds.Default(source.ClassCount) : null,
        };
    }

    /// <summary>Micro-F1 of the out-of-fold probabilities (sigmoid of <paramref name="logits"/>, (rows, labels)) at the chosen thresholds.</summary>
    private static double HeldOutMicroF1(FeatureSource source, int[] rows, float[] logits, IReadOnlyList<double> thresholds)
    {
        int k = source.ClassCount;
        var p = logits.Select(z => (float)MultiLabelThresholds.Sigmoid(z)).ToArray();
        var truth = new byte[(long)rows.Length * k];
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Copy(source.Targets, (long)rows[i] * k, truth, (long)i * k, k);
        }

        return Scoring.MultiLabelScoring.Score(source.Classes, p, truth, rows.Length, thresholds).MicroF1;
    }

    /// <summary>Each image's rows, clean row first: training rows with their cached views, validation rows clean only.</summary>
    internal static int[][] Images(FeatureSource source)
    {
        var train = ViewGroups(source, source.RowsOf(0)).Select(g => g.OrderBy(r => source.Items[r].Kind is null ? 0 : 1).ToArray());
        var validation = source.HasValidation ? CleanRows(source, source.RowsOf(1)).Select(r => new[] { r }) : [];
        return train.Concat(validation).ToArray();
    }

    /// <summary>
    /// Fold of each image: per class, images in a seeded random order dealt round-robin into K folds; multi-label
    /// images by <see cref="IterativeStratification"/> over their label sets.
    /// </summary>
    internal static int[] Folds(int[][] images, FeatureSource source, int folds, int seed)
    {
        if (source.MultiLabel)
        {
            int k = source.ClassCount;
            var sets = images.Select(v => Enumerable.Range(0, k).Where(c => source.Targets[((long)v[0] * k) + c] != 0).ToArray()).ToArray();
            return IterativeStratification.Folds(sets, k, folds, seed);
        }

        var foldOf = new int[images.Length];
        var rng = new Random(seed);
        foreach (var group in Enumerable.Range(0, images.Length).GroupBy(i => source.Labels[images[i][0]]))
        {
            var order = group.ToArray();
            rng.Shuffle(order);
            for (int j = 0; j < order.Length; j++)
            {
                foldOf[order[j]] = j % folds;
            }
        }

        return foldOf;
    }

    internal static (double Mean, double StdErr) MeanAndStdErr(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        double var = v.Length > 1 ? v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1) : 0;
        return (mean, Math.Sqrt(var / v.Length));
    }
}
