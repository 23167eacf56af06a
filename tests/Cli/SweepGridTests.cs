using Pipeline.Cli.Commands;
using Pipeline.Cli;

using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

public sealed class SweepGridTests
{
    [Fact]
    public void ExpandsEveryCombination()
    {
        var grid = SweepGrid.Expand("lr=1e-3,3e-4 hidden=0,256,512+128 dropout=0.2,0.5", new HeadOptions());
        Assert.Equal(12, grid.Count);
        Assert.Equal(12, grid.Distinct(new OptionsComparer()).Count());
        Assert.Contains(grid, o => o.LearningRate == 3e-4 && o.Hidden.SequenceEqual([512, 128]) && o.Dropout == 0.5);
        Assert.Contains(grid, o => o.Hidden.Count == 0);
    }

    [Theory]
    [InlineData("lr")]
    [InlineData("lr=abc")]
    [InlineData("color=red")]
    public void RejectsMalformedTerms(string grid)
    {
        var e = Assert.ThrowsAny<PipelineException>(() => SweepGrid.Expand(grid, new HeadOptions()));
        Assert.Equal(ExitCode.BadArgument, Reported.Of(e).Code);
    }

    private sealed class OptionsComparer : IEqualityComparer<HeadOptions>
    {
        public bool Equals(HeadOptions? x, HeadOptions? y) => x!.Describe() == y!.Describe();

        public int GetHashCode(HeadOptions obj) => obj.Describe().GetHashCode(StringComparison.Ordinal);
    }
}
