using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Conventions;

/// <summary>
/// The one JSON format of everything the tool writes (cache and head manifests, the extraction journal, the
/// CLI's <c>--json</c>): camelCase, enums by name, nulls left out, NaN and ∞ as named literals.
/// </summary>
public static class JsonFormats
{
    /// <summary>Files people read and the CLI's output: indented.</summary>
    public static JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The journal: the same, one line per entry (it is appended line by line).</summary>
    internal static JsonSerializerOptions Line { get; } = new(Indented) { WriteIndented = false };
}
