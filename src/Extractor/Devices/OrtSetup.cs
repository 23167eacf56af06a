using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Extractor.Devices;

/// <summary>
/// Creates ONNX Runtime's process-wide environment once, logging only fatal errors: a CUDA
/// provider that fails to load under <c>--device auto</c> is reported by us in one info line,
/// not by ORT's multi-line error log.
/// </summary>
internal static class OrtSetup
{
    private static readonly Lazy<OrtEnv> Env = new(() =>
    {
        try
        {
            var options = new EnvironmentCreationOptions { logId = "pipeline", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            return OrtEnv.CreateInstanceWithOptions(ref options);
        }
        catch (OnnxRuntimeException)
        {
            // Someone in this process created the environment first: quieten it instead.
            var env = OrtEnv.Instance();
            env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            return env;
        }
    });

    public static OrtEnv Environment => Env.Value;
}
