namespace Pipeline;

/// <summary>
/// A setting with a value outside what it takes (setting <c>batch</c>, value <c>0</c>, expected "from 1 to
/// 4096"), or a setting that is required here and missing (<see cref="Value"/> null).
/// </summary>
public sealed class InvalidSettingException : PipelineException
{
    /// <summary>A setting whose value is outside what it takes.</summary>
    public InvalidSettingException(string setting, string value, string expected)
        : base($"{setting} '{value}' is not {expected}")
    {
        Setting = setting;
        Value = value;
        Expected = expected;
    }

    private InvalidSettingException(string setting, string why, string expected, bool missing)
        : base($"{setting} is required: {why}")
    {
        Setting = setting;
        Expected = expected;
        _ = missing;
    }

    /// <summary>The setting's name in kebab case (<c>batch</c>, <c>max-pixels</c>); the CLI's flag has the same name.</summary>
    public string Setting { get; }

    /// <summary>The value given; null when the setting is missing.</summary>
    public string? Value { get; }

    /// <summary>What it takes, e.g. "from 1 to 4096" or "auto, cpu, cuda or cuda:N".</summary>
    public string Expected { get; }

    /// <summary>A setting this case needs and did not get, e.g. the preprocessing of an .onnx file that is not a preset.</summary>
    public static InvalidSettingException Missing(string setting, string why, string expected) => new(setting, why, expected, missing: true);
}
