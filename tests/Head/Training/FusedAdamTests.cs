using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Head.Training;

/// <summary>The one-pass CPU Adam against the libtorch-call one (StableAdam), the plain version it replaces on the CPU.</summary>
public sealed class FusedAdamTests
{
    /// <summary>
    /// Two identical heads (one hidden layer, 300 inputs: odd sizes, so the vector loop's tail runs), the same
    /// batches, 30 steps with weight decay: every weight agrees to 1e-5 (largest difference reported).
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void MatchesStableAdamStepForStep(double weightDecay)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        using var a = new DenseHead(300, [33], 0, 3);
        using var b = new DenseHead(300, [33], 0, 3);
        b.load_state_dict(a.state_dict());
        using var fused = new FusedAdam(a.parameters(), 1e-2, weightDecay: weightDecay);
        using var stable = new StableAdam(b.parameters(), 1e-2, weightDecay: weightDecay);
        using var loss = nn.CrossEntropyLoss();
        for (int step = 0; step < 30; step++)
        {
            using var batch = torch.NewDisposeScope();
            var x = torch.randn(16, 300);
            var y = torch.randint(0, 3, [16], ScalarType.Int64);
            fused.ZeroGrad();
            loss.forward(a.forward(x), y).backward();
            fused.Step();
            stable.ZeroGrad();
            loss.forward(b.forward(x), y).backward();
            stable.Step();
        }

        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        double worst = 0;
        for (int i = 0; i < pa.Count; i++)
        {
            var va = pa[i].detach().data<float>().ToArray();
            var vb = pb[i].detach().data<float>().ToArray();
            worst = Math.Max(worst, va.Zip(vb, (p, q) => Math.Abs(p - q)).Max());
        }

        Assert.True(worst < 1e-5, $"largest weight difference FusedAdam vs StableAdam after 30 steps: {worst:E2}");
    }

    /// <summary>A step also clears the gradients it used, so the next ZeroGrad has nothing to do and the next backward starts from zero.</summary>
    [Fact]
    public void StepClearsTheGradients()
    {
        using var scope = torch.NewDisposeScope();
        using var head = new DenseHead(8, [], 0, 2);
        using var adam = new FusedAdam(head.parameters(), 1e-3);
        using var loss = nn.CrossEntropyLoss();
        loss.forward(head.forward(torch.randn(4, 8)), torch.tensor(new long[] { 0, 1, 0, 1 })).backward();
        adam.Step();
        Assert.All(head.parameters(), p => Assert.Equal(0f, p.grad!.abs().max().item<float>()));
    }
}
