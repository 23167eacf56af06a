namespace Pipeline;

/// <summary>
/// Hyper-parameters of a dense head. The defaults are the classic walkthrough's head (Dense(256, ReLU) →
/// Dropout(0.2) → Dense(classes), Adam 1e-3) plus an L2 weight decay of 0.01: on the shared photos' 5-fold
/// cross-validation it had the lowest held-out loss of the linear and dense heads tried (README, "The head").
/// </summary>
public sealed record HeadOptions
{
    /// <summary>Epochs to train; with cross-validation, the most it may choose.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Mini-batch size.</summary>
    public int Batch { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Hidden layer widths: [256] is Dense(256, ReLU); [] is a linear (logistic regression) head.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [256];

    /// <summary>Dropout before each dense layer after the first (0 ≤ p &lt; 1).</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>
    /// L2 penalty on the weights, added to the gradient before Adam's moments (torch.optim.Adam's weight_decay,
    /// not AdamW's decoupled decay); about 1/(C·n) for a logistic regression's C.
    /// </summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>
    /// Early stopping: epochs without a better held-out loss before training stops, keeping the best epoch. Under
    /// cross-validation the folds' mean held-out loss (0: 8 epochs); with no folds the validation split's loss (0: never stop early).
    /// </summary>
    public int Patience { get; init; }

    /// <summary>One seed for the initialisation, the shuffles and the folds: the same seed trains the same head.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Standardise each input feature with the training set's mean and std (stored in the head).</summary>
    public bool Standardize { get; init; } = true;

    /// <summary>With augmented views cached: train on every view each epoch, instead of one view per image.</summary>
    public bool AllViews { get; init; }

    /// <summary>
    /// Images to leave out of training and selection (an audit's suspects, say), each as the cache's manifest has
    /// its path or as SPLIT/PATH. The head's manifest records the list.
    /// </summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>
    /// Weigh each class's loss by n / (classes · n_class) over the images trained on (scikit-learn's and Keras's
    /// "balanced"), so a rare class counts as much as a common one. Held-out losses are weighted the same way.
    /// </summary>
    public bool BalancedClassWeights { get; init; }

    /// <summary>Explicit loss weights by class name (a class not named weighs 1); null: none. Not with <see cref="BalancedClassWeights"/>.</summary>
    public IReadOnlyDictionary<string, double>? ClassWeights { get; init; }

    /// <summary>
    /// Fit a temperature T on held-out predictions (the cross-validation's out-of-fold ones, or the validation
    /// split's) so that the head's probabilities, softmax(logits / T), match its accuracy; false: T = 1.
    /// </summary>
    public bool Calibrate { get; init; } = true;

    /// <summary>
    /// With cross-validation, also try the exact convex probe (a linear head solved by L-BFGS, λ chosen by the
    /// folds) and keep it when its mean held-out loss is lower than the best Adam setting's. Off by default until
    /// its effect on the default head is measured over seeds (docs/labels.md).
    /// </summary>
    public bool ConvexProbe { get; init; }

    /// <summary>How the weights were found: Adam for the epochs, or L-BFGS (the convex probe). Set by selection.</summary>
    public HeadSolver Solver { get; init; } = HeadSolver.Adam;

    /// <summary>auto (CUDA when torch reports it), cpu, cuda.</summary>
    public DeviceRequest Device { get; init; } = DeviceRequest.Auto;

    /// <summary>
    /// Test hook: train with <see cref="StableAdam"/> on the CPU too, the optimizer the CUDA path runs (the CPU's is
    /// <see cref="FusedAdam"/>), so that its GC-pressure test runs on a machine without a GPU. Not in the public surface.
    /// </summary>
    internal bool StableAdamOnCpu { get; init; }

    /// <summary>
    /// Refuses a setting outside what training takes, naming it as the CLI's flag does. The one range check:
    /// the CLI parses the values and shows this message.
    /// </summary>
    /// <exception cref="InvalidSettingException">The first setting out of range.</exception>
    public void Validate()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        (string Setting, string Value, string Expected)? bad =
            Epochs is < 1 or > MaxEpochs ? ("epochs", Epochs.ToString(inv), $"from 1 to {MaxEpochs}")
            : Batch < 1 ? ("head-batch", Batch.ToString(inv), "at least 1")
            : !(LearningRate > 0 && double.IsFinite(LearningRate)) ? ("lr", LearningRate.ToString(inv), "above 0 (1e-3 is a good start)")
            : Dropout is < 0 or >= 1 or double.NaN ? ("dropout", Dropout.ToString(inv), "from 0 up to (not including) 1")
            : !(WeightDecay >= 0 && double.IsFinite(WeightDecay)) ? ("weight-decay", WeightDecay.ToString(inv), "0 or more")
            : Patience < 0 ? ("patience", Patience.ToString(inv), "0 (off) or more")
            : Hidden.Any(h => h < 1) ? ("hidden", string.Join(",", Hidden), "widths of at least 1 (or 0 for a linear head)")
            : ClassWeights is { Count: > 0 } w && BalancedClassWeights ? ("class-weight", DescribeWeights(w), "either balanced or weights per class, not both")
            : ClassWeights?.FirstOrDefault(c => !(c.Value > 0 && double.IsFinite(c.Value))) is { Key: not null } badWeight
                ? ("class-weight", $"{badWeight.Key}={badWeight.Value.ToString(inv)}", "a weight above 0 for each class named (e.g. cat=1,dog=5)")
            : null;
        if (bad is { } b)
        {
            throw new InvalidSettingException(b.Setting, b.Value, b.Expected);
        }
    }

    /// <summary>The most epochs a head trains for.</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>One line naming every setting, as the sweep table and the log print it.</summary>
    public string Describe() =>
        $"lr={LearningRate:G3} hidden={(Hidden.Count == 0 ? "0" : string.Join(",", Hidden))} dropout={Dropout:G3} wd={WeightDecay:G3}{(Standardize ? "" : " raw")} batch={Batch} epochs={Epochs}" +
        (Solver == HeadSolver.Lbfgs ? " solver=lbfgs" : "") + (BalancedClassWeights ? " class-weight=balanced" : ClassWeights is { Count: > 0 } w ? $" class-weight={DescribeWeights(w)}" : "");

    private static string DescribeWeights(IReadOnlyDictionary<string, double> weights) =>
        string.Join(",", weights.Select(kv => FormattableString.Invariant($"{kv.Key}={kv.Value:G4}")));
}

/// <summary>One epoch of training: what the per-epoch log line prints.</summary>
public sealed record EpochRecord
{
    /// <summary>The epoch (1-based).</summary>
    public required int Epoch { get; init; }

    /// <summary>Mean training loss over the epoch.</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Training accuracy over the epoch.</summary>
    public required double TrainAccuracy { get; init; }

    /// <summary>Held-out loss after the epoch; null when nothing was held out (head.json leaves it out).</summary>
    public double? ValLoss { get; init; }

    /// <summary>Held-out accuracy after the epoch; null when nothing was held out.</summary>
    public double? ValAccuracy { get; init; }

    /// <summary>Wall time of the epoch.</summary>
    public required double Milliseconds { get; init; }
}
