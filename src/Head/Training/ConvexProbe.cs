using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head.Training;

/// <summary>
/// The exact convex probe: a linear head (multinomial logistic regression) on standardised features, fitted to
/// the minimum of mean cross-entropy + λ/2 · ‖W‖² (bias unpenalised, the same penalty as Adam's weight decay λ)
/// by full-batch L-BFGS with a backtracking (Armijo) line search, as ML.NET's L-BFGS trainer does. Convex, so
/// the result depends on neither the seed nor the row order: the variance a seed gives the Adam heads is gone.
/// </summary>
internal static class ConvexProbe
{
    /// <summary>Curvature pairs L-BFGS keeps.</summary>
    private const int History = 10;

    /// <summary>Stop once the largest gradient component is below this.</summary>
    private const double GradientTolerance = 1e-5;

    /// <summary>
    /// The probe on <paramref name="rows"/> of <paramref name="source"/> (clean rows, one per image), read once
    /// into an (n, F) tensor on the device. <paramref name="classWeights"/> (classes) or null.
    /// </summary>
    public static DenseHead Fit(FeatureSource source, int[] rows, double lambda, float[]? classWeights, Device device, int maxIterations = 300)
    {
        var model = new DenseHead(source.FeatureLength, [], 0, source.ClassCount);
        var (mean, std) = HeadTrainer.FeatureStatistics(source, rows);
        model.SetStandardization(mean, std);
        model.to(device);
        var parameters = model.parameters().OrderByDescending(p => p.dim()).ToArray();   // out.weight (classes, F), out.bias (classes)
        var all = new float[(long)rows.Length * source.FeatureLength];
        source.ReadRows(rows, all);
        using var x = tensor(all, [rows.Length, source.FeatureLength], ScalarType.Float32).to(device);   // (n, F)
        using var y = tensor(rows.Select(r => (long)source.Labels[r]).ToArray(), [rows.Length], ScalarType.Int64).to(device);   // (n,)
        using var weights = classWeights is null ? null : tensor(classWeights).to(device);
        using var lambdaTensor = tensor((float)lambda).to(device);
        using var loss = nn.CrossEntropyLoss(weight: weights);

        double Evaluate(double[] at, double[] gradient)
        {
            Set(parameters, at);
            using var scope = torch.NewDisposeScope();
            foreach (var p in parameters)
            {
                p.grad?.zero_();
            }

            var value = loss.forward(model.forward(x), y).add(parameters[0].square().sum().mul(lambdaTensor).div(tensor(2f).to(device)));
            value.backward();
            Get(parameters, gradient, grad: true);
            return value.item<float>();
        }

        // Start from zero weights, not the layer's random initialisation: the same start, and so the same
        // optimum to float precision, whatever the seed.
        var w = new double[parameters.Sum(p => p.numel())];
        Minimise(Evaluate, w, maxIterations);
        Set(parameters, w);
        model.eval();
        return model;
    }

    /// <summary>L-BFGS (Nocedal and Wright, algorithm 7.4) from <paramref name="w"/>, in place.</summary>
    internal static void Minimise(Func<double[], double[], double> f, double[] w, int maxIterations)
    {
        int n = w.Length;
        var g = new double[n];
        double value = f(w, g);
        var s = new List<double[]>();
        var yk = new List<double[]>();
        var trial = new double[n];
        var gTrial = new double[n];
        for (int it = 0; it < maxIterations && g.Max(Math.Abs) > GradientTolerance; it++)
        {
            // Two-loop recursion: d = −H·g.
            var d = g.Select(v => -v).ToArray();
            var alpha = new double[s.Count];
            for (int i = s.Count - 1; i >= 0; i--)
            {
                alpha[i] = Dot(s[i], d) / Dot(yk[i], s[i]);
                Axpy(-alpha[i], yk[i], d);
            }

            double gamma = s.Count == 0 ? 1 / Math.Max(Math.Sqrt(Dot(g, g)), 1e-12) : Dot(s[^1], yk[^1]) / Dot(yk[^1], yk[^1]);
            for (int i = 0; i < n; i++)
            {
                d[i] *= gamma;
            }

            for (int i = 0; i < s.Count; i++)
            {
                double beta = Dot(yk[i], d) / Dot(yk[i], s[i]);
                Axpy(alpha[i] - beta, s[i], d);
            }

            double slope = Dot(g, d);
            if (slope >= 0)
            {
                // Not a descent direction (numerical noise): restart from steepest descent.
                s.Clear();
                yk.Clear();
                continue;
            }

            double step = 1, next = double.NaN;
            for (int tries = 0; tries < 40; tries++, step /= 2)
            {
                for (int i = 0; i < n; i++)
                {
                    trial[i] = w[i] + (step * d[i]);
                }

                next = f(trial, gTrial);
                if (double.IsFinite(next) && next <= value + (1e-4 * step * slope))
                {
                    break;
                }
            }

            if (!(next < value))
            {
                break;   // no decrease at any step: at the minimum to float precision
            }

            var sk = new double[n];
            var ykNew = new double[n];
            for (int i = 0; i < n; i++)
            {
                sk[i] = trial[i] - w[i];
                ykNew[i] = gTrial[i] - g[i];
            }

            bool converged = value - next < 1e-10 * Math.Max(1, Math.Abs(value));
            Array.Copy(trial, w, n);
            Array.Copy(gTrial, g, n);
            value = next;
            if (Dot(sk, ykNew) > 1e-12)
            {
                s.Add(sk);
                yk.Add(ykNew);
                if (s.Count > History)
                {
                    s.RemoveAt(0);
                    yk.RemoveAt(0);
                }
            }

            if (converged)
            {
                break;
            }
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    private static void Set(Tensor[] parameters, double[] values)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = no_grad();
        long offset = 0;
        foreach (var p in parameters)
        {
            long count = p.numel();
            var part = new float[count];
            for (long i = 0; i < count; i++)
            {
                part[i] = (float)values[offset + i];
            }

            p.copy_(tensor(part, p.shape, ScalarType.Float32));
            offset += count;
        }
    }

    private static void Get(Tensor[] parameters, double[] values, bool grad)
    {
        using var scope = torch.NewDisposeScope();
        long offset = 0;
        foreach (var p in parameters)
        {
            var source = grad ? p.grad! : p;
            var part = source.detach().cpu().data<float>().ToArray();
            for (long i = 0; i < part.LongLength; i++)
            {
                values[offset + i] = part[i];
            }

            offset += part.LongLength;
        }
    }
}
