using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>
/// Adam (Kingma and Ba; PyTorch's update, L2 weight decay added to the gradient) with every
/// <see cref="Scalar"/> it passes to libtorch owned for as long as the native call runs.
/// TorchSharp's own <c>optim.Adam</c> turns doubles such as <c>1 - beta2</c> into temporary
/// Scalars with no <c>GC.KeepAlive</c>: under GC pressure from other threads their finalizers free
/// the native handle mid-call, and libtorch aborts ("Expected false to be true", "Unknown scalar
/// type"). Here the constant Scalars are fields disposed with the optimizer, and the per-step ones
/// are <c>using</c> locals, alive until the step ends.
/// </summary>
internal sealed class StableAdam : IHeadOptimizer
{
    private readonly IReadOnlyList<TorchSharp.Modules.Parameter> _parameters;
    private readonly Tensor[] _m, _v;   // first and second moment per parameter, same shapes
    private readonly double _lr, _beta1, _beta2;
    private readonly Scalar _beta1S, _oneMinusBeta1, _beta2S, _oneMinusBeta2, _epsilon, _weightDecay, _one;
    private readonly bool _decay;
    private long _step;

    public StableAdam(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        _parameters = parameters.ToList();
        (_lr, _beta1, _beta2) = (lr, beta1, beta2);
        _beta1S = beta1.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _beta2S = beta2.ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _epsilon = epsilon.ToScalar();
        _weightDecay = weightDecay.ToScalar();
        _one = 1.0.ToScalar();
        _decay = weightDecay != 0;
        using var _ = no_grad();
        _m = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _v = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        _step++;
        double correction1 = 1 - Math.Pow(_beta1, _step), correction2 = 1 - Math.Pow(_beta2, _step);
        using var stepSize = (-_lr / correction1).ToScalar();
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.grad is not { } g)
            {
                continue;
            }

            var grad = _decay ? g.add(p, _weightDecay) : g;
            _m[i].mul_(_beta1S).add_(grad, _oneMinusBeta1);                    // m = β1·m + (1-β1)·g
            _v[i].mul_(_beta2S).addcmul_(grad, grad, _oneMinusBeta2);          // v = β2·v + (1-β2)·g²
            // add_(Scalar) alone would make a temporary alpha = 1 inside TorchSharp: pass ours.
            var denom = _v[i].sqrt().div_(sqrtCorrection2).add_(_epsilon, _one);   // √(v / (1-β2ᵗ)) + ε
            p.addcdiv_(_m[i], denom, stepSize);                                 // p -= lr / (1-β1ᵗ) · m / denom
        }
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v))
        {
            t.Dispose();
        }

        foreach (var s in new[] { _beta1S, _oneMinusBeta1, _beta2S, _oneMinusBeta2, _epsilon, _weightDecay, _one })
        {
            s.Dispose();
        }
    }
}
