using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>
/// The same update as <see cref="StableAdam"/> (PyTorch's Adam, L2 weight decay added to the gradient) in one
/// pass over each parameter on the CPU: per element it reads the weight, gradient and both moments once and
/// writes the weight and moments once (and clears the gradient, which <see cref="ZeroGrad"/> then need not).
/// StableAdam's eight libtorch calls stream a 25,088 × 256 layer's 25.7 MB about twenty times a step, which at
/// batch 64 cost as much as the layer's matrix products. No <see cref="Scalar"/> is made, so nothing a
/// finalizer could free mid-call. Parameters must be contiguous float32 CPU tensors (CUDA uses StableAdam).
/// </summary>
internal sealed unsafe partial class FusedAdam : IHeadOptimizer
{
    private const int Chunk = 1 << 16;   // elements per parallel work item: 256 KB of each stream

    private readonly IReadOnlyList<TorchSharp.Modules.Parameter> _parameters;
    private readonly float[][] _m, _v;   // first and second moments, managed (never touched by libtorch)
    private readonly float _beta1, _beta2, _epsilon, _weightDecay;
    private readonly double _lr;
    private long _step;
    private bool _gradientsCleared;

    public FusedAdam(IEnumerable<TorchSharp.Modules.Parameter> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        _parameters = parameters.ToList();
        foreach (var p in _parameters)
        {
            if (p.device_type != DeviceType.CPU || p.dtype != ScalarType.Float32 || !p.is_contiguous())
            {
                throw new ArgumentException($"FusedAdam takes contiguous float32 CPU parameters; got {p.dtype} on {p.device}", nameof(parameters));
            }
        }

        (_lr, _beta1, _beta2, _epsilon, _weightDecay) = (lr, (float)beta1, (float)beta2, (float)epsilon, (float)weightDecay);
        _m = _parameters.Select(p => new float[p.numel()]).ToArray();
        _v = _parameters.Select(p => new float[p.numel()]).ToArray();
    }

    /// <summary>Whether <see cref="FusedAdam"/> can run on this device.</summary>
    public static bool Supports(Device device) => device.type == DeviceType.CPU;

    public void ZeroGrad()
    {
        if (_gradientsCleared)
        {
            return;   // the last step cleared them in its pass
        }

        foreach (var p in _parameters)
        {
            p.grad?.zero_();
        }
    }

    public void Step()
    {
        _step++;
        float stepSize = (float)(_lr / (1 - Math.Pow(_beta1, _step)));
        float invSqrtCorrection2 = (float)(1 / Math.Sqrt(1 - Math.Pow(_beta2, _step)));
        bool cleared = true;
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.grad is not { } g || !g.is_contiguous())
            {
                cleared = false;
                continue;
            }

            nint weight = Data(p.Handle), grad = Data(g.Handle);
            int n = _m[i].Length;
            var (m, v) = (_m[i], _v[i]);
            var args = (weight, grad, m, v, stepSize, invSqrtCorrection2);
            if (n <= Chunk)
            {
                Update(args, 0, n);
            }
            else
            {
                Parallel.For(0, (n + Chunk - 1) / Chunk, c => Update(args, c * Chunk, Math.Min(Chunk, n - (c * Chunk))));
            }

            GC.KeepAlive(p);
            GC.KeepAlive(g);
        }

        _gradientsCleared = cleared;
    }

    /// <summary>Elements [start, start + count) of one parameter: g += wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr′·m / (√v / √(1−β2ᵗ) + ε); g = 0.</summary>
    private void Update((nint P, nint G, float[] M, float[] V, float StepSize, float InvSqrtC2) a, int start, int count)
    {
        var p = new Span<float>((float*)a.P + start, count);
        var g = new Span<float>((float*)a.G + start, count);
        var m = a.M.AsSpan(start, count);
        var v = a.V.AsSpan(start, count);
        float b1 = _beta1, b2 = _beta2, c1 = 1 - _beta1, c2 = 1 - _beta2, wd = _weightDecay, eps = _epsilon, step = a.StepSize, inv = a.InvSqrtC2;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            var (vb1, vb2, vc1, vc2, vwd, veps, vstep, vinv) = (new Vector<float>(b1), new Vector<float>(b2), new Vector<float>(c1), new Vector<float>(c2),
                new Vector<float>(wd), new Vector<float>(eps), new Vector<float>(step), new Vector<float>(inv));
            for (; i <= count - w; i += w)
            {
                var vp = new Vector<float>(p[i..]);
                var vg = new Vector<float>(g[i..]) + (vwd * vp);
                var vm = (vb1 * new Vector<float>(m[i..])) + (vc1 * vg);
                var vv = (vb2 * new Vector<float>(v[i..])) + (vc2 * vg * vg);
                vm.CopyTo(m[i..]);
                vv.CopyTo(v[i..]);
                (vp - (vstep * vm / ((Vector.SquareRoot(vv) * vinv) + veps))).CopyTo(p[i..]);
                Vector<float>.Zero.CopyTo(g[i..]);
            }
        }

        for (; i < count; i++)
        {
            float gi = g[i] + (wd * p[i]);
            m[i] = (b1 * m[i]) + (c1 * gi);
            v[i] = (b2 * v[i]) + (c2 * gi * gi);
            p[i] -= step * m[i] / ((MathF.Sqrt(v[i]) * inv) + eps);
            g[i] = 0;
        }
    }

    public void Dispose()
    {
    }

    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial IntPtr Data(IntPtr tensor);
}
