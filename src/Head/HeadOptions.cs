using Pipeline.Extractor;

namespace Pipeline.Head;

/// <summary>Hyper-parameters of a dense head; the defaults are the classic VGG16 walkthrough's.</summary>
public sealed record HeadOptions
{
    public int Epochs { get; init; } = 10;

    public int Batch { get; init; } = 64;

    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Hidden layer widths: [256] is Dense(256, ReLU); [] is a linear (logistic regression) head.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [256];

    public double Dropout { get; init; } = 0.2;

    public double WeightDecay { get; init; }

    /// <summary>Stop after this many epochs without a better validation loss (0: never), keeping the best weights.</summary>
    public int Patience { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>Standardise each input feature with the training set's mean and std (stored in the head).</summary>
    public bool Standardize { get; init; } = true;

    /// <summary>With augmented views cached: train on every view each epoch, instead of one view per image.</summary>
    public bool AllViews { get; init; }

    /// <summary>auto (CUDA when torch reports it), cpu, cuda.</summary>
    public DeviceRequest Device { get; init; } = DeviceRequest.Auto;

    public string Describe() =>
        $"lr={LearningRate:G3} hidden={(Hidden.Count == 0 ? "0" : string.Join(",", Hidden))} dropout={Dropout:G3} wd={WeightDecay:G3}{(Standardize ? "" : " raw")} batch={Batch} epochs={Epochs}";
}

/// <summary>One epoch of training: what the per-epoch log line prints.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double? ValLoss, double? ValAccuracy, double Milliseconds);
