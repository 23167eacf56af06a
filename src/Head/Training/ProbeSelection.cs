using System.Diagnostics;

namespace Pipeline.Head.Training;

/// <summary>
/// The convex probe as a selection candidate (<see cref="HeadOptions.ConvexProbe"/>): each L2 strength in
/// <see cref="Lambdas"/> is cross-validated on the same stratified folds as the Adam heads, the lowest mean
/// held-out loss wins, and the selection keeps the probe only when that loss beats the best Adam head's.
/// </summary>
internal static class ProbeSelection
{
    /// <summary>λ of mean cross-entropy + λ/2 · ‖W‖² tried: 1e-4 (nearly unregularised) to 1e-1 (strongly).</summary>
    public static readonly double[] Lambdas = [1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>The best λ and its cross-validation; null when the clean rows would not fit in memory as one tensor.</summary>
    public static (HeadOptions Options, CrossValidation Cv)? CrossValidate(FeatureCache train, FeatureCache? validation, HeadOptions options, int folds, int singleFoldFrom)
    {
        var clock = Stopwatch.StartNew();
        var source = FeatureSource.Of(train, validation, options.Exclude);
        var images = HeadTrainer.Images(source);
        if ((long)images.Length * source.FeatureLength * sizeof(float) > FeatureRows.MaxResidentBytes)
        {
            return null;
        }

        var foldOf = HeadTrainer.Folds(images, source, folds, options.Seed);
        int trained = images.Length >= singleFoldFrom ? 1 : folds;
        var device = TorchDevice.Choose(options.Device);
        (HeadOptions Options, CrossValidation Cv)? best = null;
        foreach (double lambda in Lambdas)
        {
            var losses = new List<double>();
            var accuracies = new List<double>();
            var logits = new List<float>();
            var labels = new List<int>();
            for (int k = 0; k < trained; k++)
            {
                var fit = images.Where((_, i) => foldOf[i] != k).Select(v => v[0]).ToArray();
                var held = images.Where((_, i) => foldOf[i] == k).Select(v => v[0]).ToArray();
                var weights = HeadTrainer.ClassWeights(source, [.. fit.Select(r => new[] { r })], options);
                using var model = ConvexProbe.Fit(source, fit, lambda, weights, device);
                var z = HeadTrainer.Logits(model, source, held);
                var y = held.Select(r => source.Labels[r]).ToArray();
                var (loss, accuracy) = Score(z, y, source.ClassCount, weights);
                losses.Add(loss);
                accuracies.Add(accuracy);
                logits.AddRange(z);
                labels.AddRange(y);
            }

            var (meanLoss, lossSe) = HeadTrainer.MeanAndStdErr(losses);
            var (meanAcc, accSe) = HeadTrainer.MeanAndStdErr(accuracies);
            if (trained == 1)
            {
                lossSe = double.NaN;   // one fold: no spread over folds
                accSe = Math.Sqrt(meanAcc * (1 - meanAcc) / labels.Count);
            }

            if (best is null || meanLoss < best.Value.Cv.Loss)
            {
                var z = logits.ToArray();
                var y = labels.ToArray();
                var calibration = HeadTrainer.HeldOutTemperature(options, z, y, source.ClassCount, double.IsNaN(lossSe) ? 0 : lossSe);
                var cv = new CrossValidation
                {
                    Folds = folds, BestEpoch = 1, Loss = meanLoss, LossStdErr = lossSe, Accuracy = meanAcc, AccuracyStdErr = accSe, Images = images.Length,
                    Seconds = clock.Elapsed.TotalSeconds,
                    FoldsTrained = trained,
                    EpochsRun = 1,
                    Temperature = calibration.Temperature,
                    FittedTemperature = calibration.Fitted,
                    TemperatureGain = calibration.Gain,
                    CalibrationErrorBefore = HeadTrainer.CalibrationError(z, y, source.ClassCount, 1),
                    CalibrationErrorAfter = HeadTrainer.CalibrationError(z, y, source.ClassCount, calibration.Fitted),
                };
                best = (Probe(options, lambda), cv);
            }
        }

        return best!.Value with { Cv = best.Value.Cv with { Seconds = clock.Elapsed.TotalSeconds } };
    }

    /// <summary>The probe's settings: a linear head, no dropout, weight decay λ, solved by L-BFGS.</summary>
    public static HeadOptions Probe(HeadOptions options, double lambda) =>
        options with { Hidden = [], Dropout = 0, WeightDecay = lambda, Solver = HeadSolver.Lbfgs, Epochs = 1, Patience = 0 };

    /// <summary>The probe refitted on every training and validation image (clean rows), with the cross-validation that chose it.</summary>
    public static TrainedHead FitAll(FeatureCache train, FeatureCache? validation, HeadOptions probe, CrossValidation cv)
    {
        var clock = Stopwatch.StartNew();
        var source = FeatureSource.Of(train, validation, probe.Exclude);
        var images = HeadTrainer.Images(source);
        var rows = images.Select(v => v[0]).ToArray();
        var weights = HeadTrainer.ClassWeights(source, [.. rows.Select(r => new[] { r })], probe);
        var model = ConvexProbe.Fit(source, rows, probe.WeightDecay, weights, TorchDevice.Choose(probe.Device));
        var (loss, accuracy) = Score(HeadTrainer.Logits(model, source, rows), rows.Select(r => source.Labels[r]).ToArray(), source.ClassCount, weights);
        var history = new List<EpochRecord> { new() { Epoch = 1, TrainLoss = loss, TrainAccuracy = accuracy, Milliseconds = clock.Elapsed.TotalMilliseconds } };
        return new TrainedHead(model, train.Manifest, probe, history, 1, cv.Seconds + clock.Elapsed.TotalSeconds)
        {
            ViewsCached = images.Max(v => v.Length),
            TrainImages = images.Length,
            CrossValidation = cv,
            Temperature = cv.Temperature,
        };
    }

    /// <summary>Mean (class-weighted) cross-entropy and accuracy of logits (rows, classes).</summary>
    private static (double Loss, double Accuracy) Score(float[] logits, int[] labels, int classes, float[]? weights)
    {
        double loss = 0, weightSum = 0;
        int correct = 0;
        var p = (float[])logits.Clone();
        Scoring.TemperatureScaling.Softmax(p, classes, 1);
        for (int i = 0; i < labels.Length; i++)
        {
            double w = weights?[labels[i]] ?? 1;
            loss -= w * Math.Log(Math.Max(p[(i * classes) + labels[i]], 1e-12));
            weightSum += w;
            correct += Evaluation.ArgMax(p.AsSpan(i * classes, classes)) == labels[i] ? 1 : 0;
        }

        return (loss / Math.Max(weightSum, 1e-12), (double)correct / Math.Max(labels.Length, 1));
    }
}
