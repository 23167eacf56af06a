using System.Diagnostics;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>Trains a <see cref="DenseHead"/> on cached features: Adam, softmax cross-entropy, early stopping on validation loss.</summary>
internal static partial class HeadTrainer
{
    /// <summary>Seeds of epoch shuffles are seed × this + epoch: distinct streams for up to this many epochs per seed, the same on every run.</summary>
    private const int SeedStride = 100_003;

    public static TrainedHead Train(FeatureCache train, FeatureCache? validation, HeadOptions options, Action<EpochRecord>? log = null)
    {
        Validate(train, validation, options);
        var source = FeatureSource.Of(train, validation);
        var views = ViewGroups(source, source.RowsOf(0));
        int[]? valRows = source.HasValidation && CleanRows(source, source.RowsOf(1)) is { Length: > 0 } rows ? rows : null;   // an empty split validates nothing
        var total = Stopwatch.StartNew();
        var fit = Fit(source, views, valRows, options, log);
        return new TrainedHead(fit.Model, train.Manifest, options, fit.History, fit.BestEpoch, total.Elapsed.TotalSeconds)
        {
            ViewsPerImage = options.AllViews ? views.Max(v => v.Length) : 1,
            ViewsCached = views.Max(v => v.Length),
        };
    }

    /// <summary>A fitted model, its per-epoch record, and the epoch whose weights it holds.</summary>
    private sealed record FitResult(DenseHead Model, IReadOnlyList<EpochRecord> History, int BestEpoch);

    /// <summary>
    /// The training loop on rows of <paramref name="source"/>: <paramref name="views"/> groups each training
    /// image's rows (one drawn per epoch), <paramref name="valRows"/> the clean rows it is validated on (null:
    /// none). Inputs are standardised with the training rows' statistics. Keeps the weights of the epoch with
    /// the lowest validation loss, or of the last epoch when there is no validation.
    /// </summary>
    private static FitResult Fit(FeatureSource source, int[][] views, int[]? valRows, HeadOptions options, Action<EpochRecord>? log)
    {
        var device = TorchDevice.Choose(options.Device);
        torch.manual_seed(options.Seed);
        var model = new DenseHead(source.FeatureLength, options.Hidden, options.Dropout, source.ClassCount);
        if (options.Standardize)
        {
            var (mean, std) = FeatureStatistics(source, views.SelectMany(v => v));
            model.SetStandardization(mean, std);
        }

        model.to(device);
        using var optimizer = new StableAdam(model.parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        using var loss = nn.CrossEntropyLoss();
        var batches = new FeatureBatches(source, options.Batch, device);
        var history = new List<EpochRecord>();
        Dictionary<string, Tensor>? best = null;
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var (trainLoss, trainAcc) = RunEpoch(model, batches, EpochRows(views, options, epoch), loss, optimizer);
            var (valLoss, valAcc) = valRows is null ? (double.NaN, double.NaN) : RunEpoch(model, batches, valRows, loss, null);
            var record = new EpochRecord(epoch, trainLoss, trainAcc, valRows is null ? null : valLoss, valRows is null ? null : valAcc, clock.Elapsed.TotalMilliseconds);
            history.Add(record);
            log?.Invoke(record);
            // Diverged means the training loss itself is not finite; an empty or odd held-out set is no divergence.
            if (!double.IsFinite(trainLoss))
            {
                DisposeAll(best);
                model.Dispose();
                throw new TrainingDivergedException(epoch, trainLoss, options.LearningRate);
            }

            if (valRows is null)
            {
                bestEpoch = epoch;   // no validation: the epochs were chosen beforehand (or by cross-validation)
            }
            else if (valLoss < bestLoss)
            {
                (bestLoss, bestEpoch) = (valLoss, epoch);
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
        return new FitResult(model, history, bestEpoch);
    }

    /// <summary>Rows of each image (its clean row and its cached views), grouped, in cache order.</summary>
    /// <summary>The given rows grouped by image (path): its clean row and its cached views.</summary>
    internal static int[][] ViewGroups(FeatureSource source, IEnumerable<int> rows) =>
        rows.GroupBy(r => source.Items[r].Path, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();

    /// <summary>The clean row of every image (what validation and evaluation read).</summary>
    internal static int[] CleanRows(FeatureCache cache) => Enumerable.Range(0, cache.Count).Where(r => cache.Manifest.Items[r].Kind is null).ToArray();

    internal static int[] CleanRows(FeatureSource source, IEnumerable<int> rows) => rows.Where(r => source.Items[r].Kind is null).ToArray();

    /// <summary>
    /// One epoch's rows, shuffled: one view per image drawn at random (so an epoch is still one
    /// pass over the images), or every view with <see cref="HeadOptions.AllViews"/>.
    /// </summary>
    internal static int[] EpochRows(int[][] views, HeadOptions options, int epoch)
    {
        var rng = new Random(unchecked((options.Seed * SeedStride) + epoch));
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

    /// <summary>Per-feature mean and standard deviation over the given rows, one row at a time (memory-mapped).</summary>
    internal static (float[] Mean, float[] Std) FeatureStatistics(FeatureSource source, IEnumerable<int> rows)
    {
        int f = source.FeatureLength;
        var sum = new double[f];
        var sq = new double[f];
        var row = new float[f];
        int n = 0;
        foreach (int r in rows)
        {
            source.ReadRow(r, row);
            for (int i = 0; i < f; i++)
            {
                sum[i] += row[i];
                sq[i] += (double)row[i] * row[i];
            }

            n++;
        }

        n = Math.Max(n, 1);
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
        options.Validate();
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
