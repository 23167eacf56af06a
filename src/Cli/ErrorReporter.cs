namespace Pipeline.Cli;

/// <summary>
/// Turns any exception into one line on stderr, a <c>hint:</c> line, and a distinct exit code. The
/// libraries throw facts in their own terms; this is where flag names, remedies and codes are chosen.
/// </summary>
internal static class ErrorReporter
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            return Report("cancelled", "run the same command again: it resumes where it stopped", ExitCode.Unexpected);
        }
        catch (Exception e)
        {
            var (message, hint, code) = Describe(e);
            if (code == ExitCode.Unexpected && Environment.GetEnvironmentVariable("PIPELINE_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            return Report(message, hint, code);
        }
    }

    /// <summary>The line, the hint and the exit code for an exception.</summary>
    public static (string Message, string Hint, ExitCode Code) Describe(Exception e) => e switch
    {
        InvalidSettingException s => s.Value is null
            ? ($"--{s.Setting} is required: {Reason(s.Message)}", $"pass --{s.Setting} {s.Expected}", ExitCode.BadArgument)
            : ($"--{s.Setting} '{s.Value}' is not {s.Expected}", $"pass --{s.Setting} {s.Expected}", ExitCode.BadArgument),
        DataLayoutException d => (d.Message, d.Remedy ?? "pass --data a folder of class folders (DIR/cat/*.jpg, DIR/dog/*.jpg) or of split folders (train/, validation/, test/)", ExitCode.BadDataLayout),
        ModelFileException m => (m.Message, m.Remedy ?? "pass --backbone resnet18, --backbone vgg16 --model FILE, or --backbone FILE.onnx --preprocess KIND; onnx-models/README.md says where to get each", ExitCode.BadModel),
        CacheException c => (c.Message, c.Remedy ?? "delete the folder and run extract again; 'pipeline info --check CACHE' shows what is wrong", ExitCode.BadCache),
        CacheLockedException => (e.Message, "wait for it to finish, or pass another --out folder (shards of one job each write their own shards/I-of-N folder)", ExitCode.CacheLocked),
        FeatureSpaceMismatchException f => (f.Message, MismatchHint(f.Site), ExitCode.CacheMismatch),
        DeviceUnavailableException d => (d.Message, $"{d.Remedy ?? "check the device"}, or pass --device cpu (--head-device cpu for the head)", ExitCode.DeviceUnavailable),
        HeadFileException h => (h.Message, $"{h.Remedy ?? "train it again"}: pipeline train --cache CACHE --out HEAD", ExitCode.BadArgument),
        TrainingDivergedException d => (e.Message, d.DataProblem is null ? "lower --lr (the default 1e-3 suits standardised features)" : "leave that image out with --exclude SPLIT/PATH, or extract it again", ExitCode.Diverged),
        PipelineException p => (p.Message, p.Remedy ?? "see 'pipeline COMMAND --help'", ExitCode.BadArgument),
        IOException or UnauthorizedAccessException => (e.Message, "check the path exists, is readable, and the disk has space", ExitCode.Unexpected),
        _ => ($"unexpected {e.GetType().Name}: {e.Message}", "rerun with PIPELINE_DEBUG=1 for the stack trace and report it; work already cached is kept", ExitCode.Unexpected),
    };

    public static int Report(string message, string hint, ExitCode code)
    {
        Console.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")}");
        Console.Error.WriteLine($"hint: {hint}");
        return (int)code;
    }

    private static string MismatchHint(MismatchSite site) => site switch
    {
        MismatchSite.ExistingCache => "use another --out folder, or add --force to rebuild this cache from scratch",
        MismatchSite.TrainingAndValidation => "extract both splits with the same backbone and preprocessing, from one dataset root",
        MismatchSite.HeadAndCache => "extract the images with the head's backbone and preprocessing (head.json), or train a head on this cache",
        MismatchSite.HeadAndBackbone => "pass --backbone/--model naming the file the head was trained with (head.json names it)",
        _ => "every shard of one job must run the same extract command on the same folder; delete the odd shard folder and extract that shard again",
    };

    private static string Reason(string message) => message[(message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
}
