using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Training;

/// <summary>The exact convex probe: L-BFGS to the optimum, the same head whatever the seed.</summary>
[Collection(ResNetCollection.Name)]
public sealed class ConvexProbeTests(ResNetCache fixture)
{
    /// <summary>L-BFGS reaches the minimum of Rosenbrock's function (1, 1) and of a badly scaled quadratic to 1e-4.</summary>
    [Fact]
    public void LbfgsFindsTheMinimumOfClassicTestFunctions()
    {
        var w = new[] { -1.2, 1.0 };
        ConvexProbe.Minimise((x, g) =>
        {
            g[0] = (-400 * x[0] * (x[1] - (x[0] * x[0]))) - (2 * (1 - x[0]));
            g[1] = 200 * (x[1] - (x[0] * x[0]));
            return (100 * Math.Pow(x[1] - (x[0] * x[0]), 2)) + Math.Pow(1 - x[0], 2);
        }, w, 500);
        Assert.True(Math.Abs(w[0] - 1) < 1e-4 && Math.Abs(w[1] - 1) < 1e-4, $"Rosenbrock minimum at ({w[0]}, {w[1]})");

        double[] scale = [1, 10, 100, 1000], centre = [3, -2, 0.5, 7];
        var q = new double[4];
        ConvexProbe.Minimise((x, g) =>
        {
            double f = 0;
            for (int i = 0; i < 4; i++)
            {
                g[i] = scale[i] * (x[i] - centre[i]);
                f += 0.5 * scale[i] * (x[i] - centre[i]) * (x[i] - centre[i]);
            }

            return f;
        }, q, 200);
        Assert.True(q.Zip(centre, (a, b) => Math.Abs(a - b)).Max() < 1e-4, $"quadratic minimum at ({string.Join(", ", q)})");
    }

    /// <summary>
    /// On the shared photos' features the probe is cross-validated over its λ grid, two seeds give the same
    /// weights (it starts from zero and solves a convex problem), and it scores like a good head on the test split.
    /// </summary>
    [Fact]
    public void ProbeIsTheSameHeadWhateverTheSeedAndScoresLikeAGoodHead()
    {
        using var train = FeatureCache.Open(fixture.Root, "train");
        using var val = FeatureCache.Open(fixture.Root, "validation");
        using var test = FeatureCache.Open(fixture.Root, "test");
        var a = ProbeSelection.CrossValidate(train, val, new HeadOptions { Device = DeviceRequest.Cpu, Seed = 1 }, 4, HeadSelection.SingleFoldFrom)!.Value;
        Assert.Equal(HeadSolver.Lbfgs, a.Options.Solver);
        Assert.Empty(a.Options.Hidden);
        Assert.Contains(a.Options.WeightDecay, ProbeSelection.Lambdas);
        Assert.InRange(a.Cv.Accuracy, 0.95, 1);
        using var one = ProbeSelection.FitAll(train, val, a.Options, a.Cv);
        using var two = ProbeSelection.FitAll(train, val, a.Options with { Seed = 2 }, a.Cv);
        var w1 = one.Weights.Layers[0].Weight;
        var w2 = two.Weights.Layers[0].Weight;
        Assert.Equal(w1, w2);
        var e = Evaluation.Run(one, test);
        Assert.True(e.Accuracy >= 0.975, $"probe test accuracy {e.Accuracy:P2}");
        Assert.Equal(1200, one.Manifest.TrainImages);
        Assert.Equal(a.Cv.Temperature, one.Manifest.Temperature);
    }
}
