using Pipeline.Cli;
using Pipeline.Cli.Options;

namespace Pipeline.Tests.Cli;

/// <summary>--class-weight and --no-calibrate reach the library's options record as typed.</summary>
public sealed class ClassWeightOptionTests
{
    [Theory]
    [InlineData("balanced", true, null)]
    [InlineData("Balanced", true, null)]
    [InlineData("cat=1,dog=5", false, "cat=1,dog=5")]
    [InlineData(" cat = 2 ", false, "cat=2")]
    public void ClassWeightIsBalancedOrNamedWeights(string text, bool balanced, string? named)
    {
        var options = TrainOptionGroup.Bind(CliApp.Build().Parse(["train", "--cache", "c", "--out", "h", "--class-weight", text]));
        Assert.Equal(balanced, options.BalancedClassWeights);
        Assert.Equal(named, options.ClassWeights is null ? null : string.Join(",", options.ClassWeights.Select(kv => FormattableString.Invariant($"{kv.Key}={kv.Value}"))));
        Assert.True(options.Calibrate);
    }

    [Theory]
    [InlineData("cat")]
    [InlineData("cat=x")]
    [InlineData("cat=1,cat=2")]
    [InlineData("cat=-1")]
    public void MalformedOrOutOfRangeWeightsNameTheSetting(string text)
    {
        var e = Assert.Throws<InvalidSettingException>(() => TrainOptionGroup.Bind(CliApp.Build().Parse(["train", "--cache", "c", "--out", "h", "--class-weight", text])));
        Assert.Equal("class-weight", e.Setting);
    }

    [Fact]
    public void NoCalibrateTurnsTemperatureScalingOff() =>
        Assert.False(TrainOptionGroup.Bind(CliApp.Build().Parse(["train", "--cache", "c", "--out", "h", "--no-calibrate"])).Calibrate);
}
