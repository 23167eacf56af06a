using System.CommandLine;
using System.Globalization;

namespace Pipeline.Cli.Options;

/// <summary>The head's hyper-parameters and how it is selected: train and run.</summary>
internal static class TrainOptionGroup
{
    private static readonly HeadOptions Defaults = new();

    public static readonly Option<int> Epochs = OptionValues.Int("--epochs", "N", "Training epochs (the best epoch's weights are kept).", Defaults.Epochs);

    public static readonly Option<int> HeadBatch = OptionValues.Int("--head-batch", "N", "Mini-batch size of head training.", Defaults.Batch);

    public static readonly Option<double> Lr = OptionValues.Double("--lr", "RATE", "Adam's learning rate.", Defaults.LearningRate);

    public static readonly Option<string> Hidden = OptionValues.Parsed("--hidden", "WIDTHS",
        "Hidden widths: 256 for the walkthrough's Dense(256) → Dropout → Dense, 512,128 for two layers, 0 for a linear head (logistic regression).",
        text => { ParseHidden(text, ','); return text; }, () => Defaults.Hidden.Count == 0 ? "0" : string.Join(",", Defaults.Hidden));

    public static readonly Option<double> Dropout = OptionValues.Double("--dropout", "P", "Dropout before each dense layer after the first.", Defaults.Dropout);

    public static readonly Option<double> WeightDecay = OptionValues.Double("--weight-decay", "W", "L2 weight decay, added to the gradient (torch.optim.Adam's weight_decay, not AdamW's decoupled decay).", Defaults.WeightDecay);

    public static readonly Option<int> Patience = OptionValues.Int("--patience", "P",
        "Early stopping: epochs without a better held-out loss. Under cross-validation (the default) the folds' mean loss, 0 meaning 8; with --folds 0 the validation split's loss, 0 meaning off. The best epoch is kept either way.", Defaults.Patience);

    public static readonly Option<DeviceRequest> HeadDevice = OptionValues.Parsed("--head-device", "DEVICE",
        $"Where the head trains: {DeviceRequest.Grammar} (auto: CUDA when torch reports it).", text => DeviceRequest.Parse(text, "head-device"), () => DeviceRequest.Auto);

    public static readonly Option<bool> AllViews = OptionValues.Flag("--all-views",
        "With augmented views cached: train on all of them each epoch (default: one view per image per epoch).");

    public static readonly Option<bool> NoStandardize = OptionValues.Flag("--no-standardize",
        "Feed raw features to the head (default: standardise each with the training set's mean and std).");

    public static readonly Option<string?> Sweep = new("--sweep")
    {
        HelpName = "GRID",
        Description = "Train every combination, e.g. \"lr=1e-3,3e-4 hidden=0,256 dropout=0.2,0.5\" (512+128 is two layers); keeps the best.",
    };

    public static readonly Option<int> Folds = OptionValues.Int("--folds", "K",
        "Choose the epochs (and the --sweep setting) by K-fold cross-validation over training + validation images, then refit on all of them; 0: train on the training split, select on the validation split.",
        new TransferLearning().Folds);

    public static readonly Option<string?> Exclude = new("--exclude")
    {
        HelpName = "FILE",
        Description = "Leave out the images listed in FILE, one a line, as the manifest has the path or as SPLIT/PATH (e.g. an audit's suspects: jq -r '.labelSuspects[] | .split + \"/\" + .path'). The head records them.",
    };

    public static readonly Option<string?> ClassWeight = new("--class-weight")
    {
        HelpName = "WEIGHTS",
        Description = "Weigh the loss per class: balanced (n / (classes · n_class), for imbalanced data) or explicit weights, e.g. cat=1,dog=5 (a class not named weighs 1).",
    };

    public static readonly Option<bool> NoCalibrate = OptionValues.Flag("--no-calibrate",
        "Keep the raw softmax probabilities (default: fit a temperature on the held-out predictions so the probabilities match the accuracy).");

    public static readonly Option<bool> ConvexProbe = OptionValues.Flag("--convex-probe",
        "With --folds: also cross-validate an exact logistic regression (a linear head solved by L-BFGS, L2 chosen by the folds) and keep it when its held-out loss is lower.");

    public static Option[] All => [Folds, Epochs, HeadBatch, Lr, Hidden, Dropout, WeightDecay, Patience, HeadDevice, AllViews, NoStandardize, ClassWeight, NoCalibrate, ConvexProbe, Sweep, Exclude, SharedOptions.Seed];

    /// <summary>The head's settings, checked by the library's own rule before any work starts (run checks them before extracting).</summary>
    public static HeadOptions Bind(ParseResult r)
    {
        var options = Settings(r);
        options.Validate();
        return options;
    }

    private static HeadOptions Settings(ParseResult r) => new()
    {
        Epochs = r.GetValue(Epochs), Batch = r.GetValue(HeadBatch), LearningRate = r.GetValue(Lr), Hidden = ParseHidden(r.GetValue(Hidden)!, ','),
        Dropout = r.GetValue(Dropout), WeightDecay = r.GetValue(WeightDecay), Patience = r.GetValue(Patience), Seed = r.GetValue(SharedOptions.Seed),
        Device = r.GetValue(HeadDevice), Standardize = !r.GetValue(NoStandardize), AllViews = r.GetValue(AllViews),
        Exclude = r.GetValue(Exclude) is { } file ? ExcludeList(file) : [],
        BalancedClassWeights = r.GetValue(ClassWeight) is { } w && IsBalanced(w),
        ClassWeights = r.GetValue(ClassWeight) is { } text && !IsBalanced(text) ? ParseClassWeights(text) : null,
        Calibrate = !r.GetValue(NoCalibrate),
        ConvexProbe = r.GetValue(ConvexProbe),
    };

    private static bool IsBalanced(string text) => string.Equals(text.Trim(), "balanced", StringComparison.OrdinalIgnoreCase);

    /// <summary>"cat=1,dog=5": class=weight pairs; the library checks the classes and the ranges.</summary>
    public static Dictionary<string, double> ParseClassWeights(string text)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.LastIndexOf('=');
            if (eq <= 0 || !double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || !weights.TryAdd(pair[..eq].Trim(), w))
            {
                throw new InvalidSettingException("class-weight", text, "balanced, or class=weight pairs such as cat=1,dog=5 (each class once)");
            }
        }

        return weights;
    }

    /// <summary>"256", "512,128" or "0" (linear); the sweep writes two layers as "512+128".</summary>
    public static IReadOnlyList<int> ParseHidden(string text, char separator)
    {
        var widths = new List<int>();
        foreach (var p in text.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int w))
            {
                throw new InvalidSettingException("hidden", text, "a list of widths such as 256, 512,128 or 0");
            }

            if (w > 0)
            {
                widths.Add(w);
            }
        }

        return widths;
    }

    /// <summary>The lines of an --exclude file: blank lines and # comments skipped.</summary>
    private static List<string> ExcludeList(string file)
    {
        if (!File.Exists(file))
        {
            throw new InvalidSettingException("exclude", file, "a file that exists, listing one image path per line");
        }

        return File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
    }
}
