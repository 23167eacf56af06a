using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head;

/// <summary>
/// The classifier on top of the frozen backbone: features (N, F) float32, flattened →
/// [Linear → ReLU → Dropout] per hidden width → Linear → logits (N, classes). Softmax is applied
/// by the loss in training and explicitly in prediction.
/// </summary>
internal sealed class DenseHead : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _layers;
    private readonly Tensor _mean;     // (F) per-feature mean of the training set, or 0
    private readonly Tensor _invStd;   // (F) 1 / per-feature std of the training set, or 1

    public DenseHead(int features, IReadOnlyList<int> hidden, double dropout, int classes) : base("DenseHead")
    {
        _mean = zeros(features);
        _invStd = ones(features);
        register_buffer("mean", _mean);
        register_buffer("inv_std", _invStd);
        Features = features;
        Hidden = hidden;
        Classes = classes;
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        int width = features;
        for (int i = 0; i < hidden.Count; i++)
        {
            modules.Add(($"fc{i}", nn.Linear(width, hidden[i])));
            modules.Add(($"relu{i}", nn.ReLU()));
            if (dropout > 0)
            {
                modules.Add(($"drop{i}", nn.Dropout(dropout)));
            }

            width = hidden[i];
        }

        modules.Add(("out", nn.Linear(width, classes)));
        _layers = nn.Sequential(modules);
        RegisterComponents();
    }

    public int Features { get; }

    public IReadOnlyList<int> Hidden { get; }

    public int Classes { get; }

    // input (N, F) float32 → standardised (N, F) → logits (N, classes)
    public override Tensor forward(Tensor input) => _layers.forward((input - _mean) * _invStd);

    /// <summary>
    /// The head's inference, the one place it runs (a trained head's probabilities, the trainer's held-out logits):
    /// logits (n, classes) for the first n feature rows (n, F) of <paramref name="features"/>, in eval mode without
    /// gradients, on the model's device. The tensor belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Logits(ReadOnlySpan<float> features, int n)
    {
        using var _ = no_grad();
        eval();
        var device = parameters().First().device;
        return forward(tensor(features[..(n * Features)].ToArray(), [n, Features], ScalarType.Float32).to(device));
    }

    /// <summary>Sets the input standardisation (training-set mean and std per feature).</summary>
    public void SetStandardization(float[] mean, float[] std)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = no_grad();
        _mean.copy_(tensor(mean));
        _invStd.copy_(tensor(std.Select(s => 1f / Math.Max(s, 1e-6f)).ToArray()));
    }

    /// <summary>Input standardisation as arrays: mean (F) and 1/std (F).</summary>
    public (float[] Mean, float[] InvStd) Standardization()
    {
        using var scope = torch.NewDisposeScope();
        return (_mean.cpu().data<float>().ToArray(), _invStd.cpu().data<float>().ToArray());
    }

    /// <summary>The Linear layers' weights (out, in) and biases (out), in order, as float arrays: for ONNX export.</summary>
    public IReadOnlyList<(float[] Weight, long[] WeightShape, float[] Bias)> LinearLayers()
    {
        using var scope = torch.NewDisposeScope();
        var result = new List<(float[], long[], float[])>();
        var named = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, _) in named.Where(p => p.Key.EndsWith(".weight", StringComparison.Ordinal)))
        {
            string prefix = name[..^".weight".Length];
            var w = named[name].detach().cpu();
            var b = named[prefix + ".bias"].detach().cpu();
            result.Add((w.data<float>().ToArray(), w.shape, b.data<float>().ToArray()));
        }

        return result;
    }
}
