using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>
/// One model in training, advanced an epoch at a time: the K models of a cross-validation step together, so the
/// mean held-out loss after each epoch can stop them all. <see cref="Views"/> groups each training image's rows
/// (one drawn per epoch), <see cref="HeldOut"/> the clean rows it is scored on (null: none). Inputs are
/// standardised with the training rows' statistics. Keeps a copy of the weights of its best held-out epoch.
/// </summary>
internal sealed class FoldRun : IDisposable
{
    private readonly FeatureRows _rows;
    private readonly FeatureSource _source;
    private readonly HeadOptions _options;
    private readonly IHeadOptimizer _optimizer;
    private readonly nn.Module<Tensor, Tensor, Tensor> _loss;
    private readonly nn.Module<Tensor, Tensor, Tensor> _rowLosses;
    private readonly Tensor? _classWeights;   // (classes) float32 on the device, or null: every class weighs 1
    private readonly int _classes;
    private readonly bool _multiLabel;
    private readonly List<EpochRecord> _history = [];
    private Dictionary<string, Tensor>? _best;
    private double _bestLoss = double.PositiveInfinity;
    private bool _handedOver;

    public FoldRun(FeatureSource source, FeatureRows rows, int[][] views, int[]? heldOut, HeadOptions options, Device device)
    {
        _rows = rows;
        _source = source;
        _options = options;
        Views = views;
        HeldOut = heldOut is { Length: > 0 } ? heldOut : null;
        torch.manual_seed(options.Seed);
        Model = new DenseHead(source.FeatureLength, options.Hidden, options.Dropout, source.ClassCount);
        if (options.Standardize)
        {
            var (mean, std) = HeadTrainer.FeatureStatistics(source, views.SelectMany(v => v));
            Model.SetStandardization(mean, std);
        }

        Model.to(device);
        _classes = source.ClassCount;
        if (HeadTrainer.ClassWeights(source, views, options) is { } weights)
        {
            using var scope = torch.NewDisposeScope();
            _classWeights = tensor(weights).to(device).DetachFromDisposeScope();
        }

        // Multi-label: one sigmoid per label, binary cross-entropy on the logits (Keras's sigmoid + binary_crossentropy).
        _multiLabel = source.MultiLabel;
        _loss = _multiLabel ? nn.BCEWithLogitsLoss() : nn.CrossEntropyLoss(weight: _classWeights);
        _rowLosses = _multiLabel ? nn.BCEWithLogitsLoss(reduction: nn.Reduction.None) : nn.CrossEntropyLoss(weight: _classWeights, reduction: nn.Reduction.None);
        _optimizer = FusedAdam.Supports(device) && !options.StableAdamOnCpu
            ? new FusedAdam(Model.parameters(), options.LearningRate, weightDecay: options.WeightDecay)
            : new StableAdam(Model.parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        FlopsPerRow = 2.0 * Model.parameters().Where(p => p.dim() == 2).Sum(p => (double)p.numel());
    }

    public DenseHead Model { get; }

    public int[][] Views { get; }

    public int[]? HeldOut { get; }

    public IReadOnlyList<EpochRecord> History => _history;

    /// <summary>The epoch whose weights <see cref="Finish"/> keeps: the lowest held-out loss, or the last without held-out rows.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Multiply-adds × 2 of one row's forward pass through the dense layers.</summary>
    public double FlopsPerRow { get; }

    /// <summary>Floating-point operations done so far: forward and backward (3×) per training row, forward per held-out row.</summary>
    public double Flops { get; private set; }

    /// <summary>
    /// Logits (held-out rows, classes) of the last epoch's held-out pass, in <see cref="HeldOut"/> order: the
    /// out-of-fold predictions temperature scaling is fitted on. Empty before the first epoch or without held-out rows.
    /// </summary>
    public float[] HeldOutLogits { get; private set; } = [];

    /// <summary>Per epoch, the standard deviation of the held-out rows' losses (a single held-out fraction's standard error is it / √n).</summary>
    public List<double> HeldOutLossSpread { get; } = [];

    /// <summary>Trains one epoch and scores the held-out rows; a non-finite training loss is a divergence.</summary>
    public EpochRecord RunEpoch(int epoch)
    {
        var clock = Stopwatch.StartNew();
        var order = HeadTrainer.EpochRows(Views, _options, epoch);
        var (trainLoss, trainAcc) = Pass(order, train: true);
        var (valLoss, valAcc) = HeldOut is null ? (double.NaN, double.NaN) : Pass(HeldOut, train: false);
        Flops += (3 * FlopsPerRow * order.Length) + (FlopsPerRow * (HeldOut?.Length ?? 0));
        var record = new EpochRecord
        {
            Epoch = epoch, TrainLoss = trainLoss, TrainAccuracy = trainAcc, ValLoss = HeldOut is null ? null : valLoss, ValAccuracy = HeldOut is null ? null : valAcc,
            Milliseconds = clock.Elapsed.TotalMilliseconds,
        };
        _history.Add(record);
        if (!double.IsFinite(trainLoss) || (HeldOut is not null && !double.IsFinite(valLoss)))
        {
            // A non-finite loss, on the training rows or the held-out ones, is never saved as a head. When a row's
            // standardised features are out of all proportion (one row of 3e38 among ordinary ones), the data is
            // at fault, not the learning rate: the error names that row.
            bool held = double.IsFinite(trainLoss);
            throw new TrainingDivergedException(epoch, held ? valLoss : trainLoss, _options.LearningRate, DivergenceCulprit.Find(_source, Model, held ? HeldOut! : order));
        }

        if (HeldOut is null)
        {
            BestEpoch = epoch;   // no held-out rows: the epochs were chosen beforehand (or by cross-validation)
        }
        else if (valLoss < _bestLoss)
        {
            (_bestLoss, BestEpoch) = (valLoss, epoch);
            DisposeAll(_best);
            _best = Snapshot(Model);
        }

        return record;
    }

    /// <summary>Loads the best epoch's weights and hands the model over (the run no longer owns it).</summary>
    public DenseHead Finish()
    {
        if (_best is not null)
        {
            using (torch.NewDisposeScope())
            {
                Model.load_state_dict(_best);
            }

            DisposeAll(_best);
            _best = null;
        }

        Model.eval();
        _handedOver = true;
        return Model;
    }

    /// <summary>
    /// One pass: the training step is the five lines of every PyTorch loop (zero_grad, forward, loss, backward,
    /// step); held-out rows are only scored. A dispose scope per batch frees every intermediate tensor. The sums
    /// are read per batch with <c>item</c>: tensor arithmetic with a C# number would make a temporary Scalar
    /// that a finalizer may free mid-call (see <see cref="StableAdam"/>).
    /// </summary>
    private (double Loss, double Accuracy) Pass(int[] order, bool train)
    {
        Model.train(train);
        using var grad = train ? null : torch.no_grad();
        double lossSum = 0, squares = 0, weightSum = 0;
        long correct = 0;
        var heldOutLogits = train ? null : new float[(long)order.Length * _classes];
        long written = 0;   // floats of heldOutLogits filled
        foreach (var batch in _rows.Batches(order))
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = batch();
            if (train)
            {
                _optimizer.ZeroGrad();
            }

            var logits = Model.forward(x);
            if (train)
            {
                var loss = _loss.forward(logits, y);
                loss.backward();
                _optimizer.Step();
                lossSum += loss.item<float>() * x.shape[0];
            }
            else
            {
                // (n) w[y]·−log p[y]: a weighted mean divides by Σ w[y]; multi-label: (n, classes) → each row's mean BCE
                var rows = _multiLabel ? _rowLosses.forward(logits, y).mean([1]) : _rowLosses.forward(logits, y);
                lossSum += rows.sum().item<float>();
                squares += rows.mul(rows).sum().item<float>();
                weightSum += _classWeights is null ? x.shape[0] : _classWeights.index_select(0, y).sum().item<float>();
                var cpu = logits.detach().cpu().data<float>().ToArray();   // (n, classes)
                Array.Copy(cpu, 0, heldOutLogits!, written, cpu.LongLength);
                written += cpu.LongLength;
            }

            // Multi-label: exact matches (subset accuracy) at 0.5, every label right.
            correct += _multiLabel
                ? logits.gt(torch.zeros_like(logits)).eq(y.gt(torch.zeros_like(y))).all(1).sum().item<long>()
                : logits.argmax(1).eq(y).sum().item<long>();
        }

        if (!train)
        {
            double mean = lossSum / order.Length;
            HeldOutLossSpread.Add(Math.Sqrt(Math.Max(squares / order.Length - (mean * mean), 0)));
            HeldOutLogits = heldOutLogits!;
            return (lossSum / Math.Max(weightSum, 1e-12), (double)correct / order.Length);
        }

        return (lossSum / order.Length, (double)correct / order.Length);
    }

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

    /// <summary>Frees the optimizer and any snapshot; the model too unless <see cref="Finish"/> handed it over.</summary>
    public void Dispose()
    {
        if (!_handedOver)
        {
            Model.Dispose();
        }

        DisposeAll(_best);
        _optimizer.Dispose();
        _loss.Dispose();
        _rowLosses.Dispose();
        _classWeights?.Dispose();
    }
}
