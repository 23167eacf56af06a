namespace Pipeline.Tests.Head.Scoring;

public sealed class WilsonTests
{
    /// <summary>Reference values from R's <c>prop.test(x, n, correct = FALSE)$conf.int</c> and Newcombe (1998), table I.</summary>
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]     // Newcombe: 81/263
    [InlineData(15, 148, 0.0624, 0.1605)]     // Newcombe: 15/148
    [InlineData(0, 20, 0.0, 0.1611)]          // Newcombe: 0/20
    [InlineData(1, 29, 0.0061, 0.1718)]       // Newcombe: 1/29
    [InlineData(393, 400, 0.9643, 0.9915)]    // 98.25 % of 400
    [InlineData(400, 400, 0.9905, 1.0)]
    public void MatchesPublishedIntervals(int successes, int n, double low, double high)
    {
        var (l, h) = Wilson.Interval(successes, n);
        Assert.InRange(l, low - 5e-5, low + 5e-5);
        Assert.InRange(h, high - 5e-5, high + 5e-5);
    }
}
