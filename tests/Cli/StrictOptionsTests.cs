using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

public sealed class StrictOptionsTests
{
    /// <summary>A typo must not quietly train 10 epochs instead of 50: every command refuses an unknown option.</summary>
    [Theory]
    [InlineData("train", "--cache", "c", "--out", "h", "--epoch", "50")]
    [InlineData("extract", "--data", "d", "--out", "c", "--bogus-option", "3")]
    [InlineData("evaluate", "--head", "h", "--cache", "c", "--jsn")]
    public void UnknownOptionIsRefusedWithExitCode2(params string[] args)
    {
        var r = CliProcess.Run(args);
        Assert.Equal((int)ExitCode.BadArgument, r.ExitCode);
        Assert.Contains("Unknown option", r.Stderr);
        Assert.Contains("hint:", r.Stderr);
    }

    /// <summary>Every option's value form parses: the error, if any, is about the missing head, never the options.</summary>
    [Theory]
    [InlineData("evaluate", "--head", "no-such-head", "--cache", "c", "--tta", "flip", "--report", "r")]
    [InlineData("predict", "--head", "no-such-head", "x.jpg", "--tta", "flip", "--device", "cuda:1", "--precision", "fp16", "--top", "2", "--csv")]
    [InlineData("export", "--head", "no-such-head", "--out", "x.onnx", "--backbone", "resnet18")]
    public void ValidOptionValuesParse(params string[] args)
    {
        var r = CliProcess.Run(args);
        Assert.Equal((int)ExitCode.BadArgument, r.ExitCode);
        Assert.Contains("head 'no-such-head': no head.json", r.Stderr);
    }
}
