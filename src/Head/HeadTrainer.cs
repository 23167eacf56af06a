using System.Diagnostics;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head;

/// <summary>Trains a <see cref="DenseHead"/> on cached features: Adam, softmax cross-entropy, early stopping on validation loss.</summary>
public static class HeadTrainer
{
    public static TrainedHead Train(FeatureCache train, FeatureCache? validation, HeadOptions options, Action<EpochRecord>? log = null)
    {
        Validate(train, validation, options);
        var device = TorchDevice.Choose(options.Device);
        torch.manual_seed(options.Seed);
        var model = new DenseHead(train.FeatureLength, options.Hidden, options.Dropout, train.Classes.Count);
        if (options.Standardize)
        {
            var (mean, std) = FeatureStatistics(train);
            model.SetStandardization(mean, std);
        }

        model.to(device);
        using var optimizer = new StableAdam(model.parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        using var loss = nn.CrossEntropyLoss();
        var trainBatches = new FeatureBatches(train, options.Batch, device);
        var valBatches = validation is null ? null : new FeatureBatches(validation, options.Batch, device);

        var views = ViewGroups(train);
        var valRows = validation is null ? [] : CleanRows(validation);
        var history = new List<EpochRecord>();
        Dictionary<string, Tensor>? best = null;
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        var total = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var (trainLoss, trainAcc) = RunEpoch(model, trainBatches, EpochRows(views, options, epoch), loss, optimizer);
            var (valLoss, valAcc) = valBatches is null ? (double.NaN, double.NaN) : RunEpoch(model, valBatches, valRows, loss, null);
            var record = new EpochRecord(epoch, trainLoss, trainAcc, valBatches is null ? null : valLoss, valBatches is null ? null : valAcc, clock.Elapsed.TotalMilliseconds);
            history.Add(record);
            log?.Invoke(record);
            if (!double.IsFinite(trainLoss) || (valBatches is not null && !double.IsFinite(valLoss)))
            {
                throw new TrainingDivergedException(epoch, trainLoss, options.LearningRate);
            }

            double monitored = valBatches is null ? trainLoss : valLoss;
            if (monitored < bestLoss)
            {
                (bestLoss, bestEpoch) = (monitored, epoch);
                DisposeAll(best);
                best = Snapshot(model);
            }
            else if (options.Patience > 0 && epoch - bestEpoch >= options.Patience)
            {
                break;
            }
        }

        if (best is not null)
        {
            using (torch.NewDisposeScope())
            {
                model.load_state_dict(best);
            }

            DisposeAll(best);
        }

        model.eval();
        return new TrainedHead(model, train.Manifest, options, history, bestEpoch, total.Elapsed.TotalSeconds)
        {
            ViewsPerImage = options.AllViews ? views.Max(v => v.Length) : 1,
            ViewsCached = views.Max(v => v.Length),
        };
    }

    /// <summary>Rows of each image (its clean row and its cached views), grouped, in cache order.</summary>
    internal static int[][] ViewGroups(FeatureCache cache) =>
        cache.Manifest.Items.Select((item, row) => (item.Path, row)).GroupBy(x => x.Path, StringComparer.Ordinal)
            .Select(g => g.Select(x => x.row).ToArray()).ToArray();

    /// <summary>The clean row of every image (what validation and evaluation read).</summary>
    internal static int[] CleanRows(FeatureCache cache) =>
        cache.Manifest.Items.Select((item, row) => (item, row)).Where(x => x.item.Kind is null).Select(x => x.row).ToArray();

    /// <summary>
    /// One epoch's rows, shuffled: one view per image drawn at random (so an epoch is still one
    /// pass over the images), or every view with <see cref="HeadOptions.AllViews"/>.
    /// </summary>
    internal static int[] EpochRows(int[][] views, HeadOptions options, int epoch)
    {
        var rng = new Random(unchecked(options.Seed * 7919 + epoch));
        var rows = options.AllViews ? views.SelectMany(v => v).ToArray() : views.Select(v => v[rng.Next(v.Length)]).ToArray();
        rng.Shuffle(rows);
        return rows;
    }

    /// <summary>
    /// One pass: the training step is the five lines of every PyTorch loop (zero_grad, forward,
    /// loss, backward, step); with no optimizer it only evaluates. A dispose scope per batch frees
    /// every intermediate tensor.
    /// </summary>
    private static (double Loss, double Accuracy) RunEpoch(DenseHead model, FeatureBatches batches, int[] order,
                                                         nn.Module<Tensor, Tensor, Tensor> loss, StableAdam? optimizer)
    {
        bool training = optimizer is not null;
        model.train(training);
        using var grad = training ? null : torch.no_grad();
        double lossSum = 0;
        long correct = 0;
        foreach (int n in batches.Enumerate(order))
        {
            using var scope = torch.NewDisposeScope();
            var x = batches.Features(n);
            var y = batches.Labels(n);
            optimizer?.ZeroGrad();
            var logits = model.forward(x);
            var batchLoss = loss.forward(logits, y);
            if (optimizer is not null)
            {
                batchLoss.backward();
                optimizer.Step();
            }

            lossSum += batchLoss.item<float>() * x.shape[0];
            correct += logits.argmax(1).eq(y).sum().item<long>();
        }

        return (lossSum / order.Length, (double)correct / order.Length);
    }

    /// <summary>Per-feature mean and standard deviation over the cache, one row at a time (memory-mapped).</summary>
    internal static (float[] Mean, float[] Std) FeatureStatistics(FeatureCache cache)
    {
        int f = cache.FeatureLength;
        var sum = new double[f];
        var sq = new double[f];
        var row = new float[f];
        for (int r = 0; r < cache.Count; r++)
        {
            cache.ReadRow(r, row);
            for (int i = 0; i < f; i++)
            {
                sum[i] += row[i];
                sq[i] += (double)row[i] * row[i];
            }
        }

        int n = Math.Max(cache.Count, 1);
        var mean = sum.Select(s => (float)(s / n)).ToArray();
        var std = sq.Select((s, i) => (float)Math.Sqrt(Math.Max(s / n - (sum[i] / n) * (sum[i] / n), 0))).ToArray();
        return (mean, std);
    }

    /// <summary>Copies of the weights, owned by the caller (outside any dispose scope).</summary>
    private static Dictionary<string, Tensor> Snapshot(DenseHead model)
    {
        using var scope = torch.NewDisposeScope();
        var copies = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        foreach (var t in copies.Values)
        {
            t.DetachFromDisposeScope();
        }

        return copies;
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        foreach (var t in tensors?.Values ?? Enumerable.Empty<Tensor>())
        {
            t.Dispose();
        }
    }

    private static void Validate(FeatureCache train, FeatureCache? validation, HeadOptions options)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        (string Setting, string Value, string Expected)? bad =
            options.Epochs < 1 ? ("epochs", options.Epochs.ToString(inv), "at least 1")
            : options.Batch < 1 ? ("head-batch", options.Batch.ToString(inv), "at least 1")
            : !(options.LearningRate > 0) ? ("lr", options.LearningRate.ToString(inv), "above 0")
            : options.Dropout is < 0 or >= 1 ? ("dropout", options.Dropout.ToString(inv), "from 0 up to (not including) 1")
            : options.WeightDecay < 0 ? ("weight-decay", options.WeightDecay.ToString(inv), "0 or more")
            : options.Hidden.Any(h => h < 1) ? ("hidden", string.Join(",", options.Hidden), "widths of at least 1 (or 0 for a linear head)")
            : null;
        if (bad is { } b)
        {
            throw new InvalidSettingException(b.Setting, b.Value, b.Expected);
        }

        if (validation is null)
        {
            return;
        }

        if (validation.Manifest.Space.Mismatch(train.Manifest.Space, FeatureAspects.Head) is { } difference)
        {
            throw new FeatureSpaceMismatchException(MismatchSite.TrainingAndValidation, $"validation cache '{validation.Directory}'", $"training cache '{train.Directory}'", difference);
        }
    }
}
