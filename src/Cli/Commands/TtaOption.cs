using Pipeline.Extractor;

namespace Pipeline.Cli.Commands;

/// <summary>The <c>--tta</c> option of extract, evaluate, predict and run: absent, or <c>flip</c>.</summary>
internal static class TtaOption
{
    public static bool IsFlip(string? value) => value switch
    {
        null => false,
        "flip" => true,
        _ => throw new PipelineException($"--tta '{value}' is not flip", "pass --tta flip, or leave it out", ExitCode.BadArgument),
    };
}
