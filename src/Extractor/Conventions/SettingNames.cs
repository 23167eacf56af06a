namespace Pipeline.Conventions;

/// <summary>
/// The one grammar of every enum-valued setting (resize, precision, dtype, preprocessing mode): the member's
/// name in lower case, as the CLI's flags, the manifests and the messages spell it.
/// </summary>
public static class SettingNames
{
    /// <summary>"crop", "fp16": a member's name as a setting spells it.</summary>
    public static string Of<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>"crop or squash", "fp32, tf32 or fp16": what an error says the setting takes.</summary>
    public static string Choices<T>() where T : struct, Enum
    {
        var names = Enum.GetValues<T>().Select(Of).ToList();
        return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    /// <summary>"crop|squash": the help's placeholder.</summary>
    public static string Help<T>() where T : struct, Enum => string.Join("|", Enum.GetValues<T>().Select(Of));

    /// <summary>The member whose name is <paramref name="text"/> (case and surrounding spaces ignored).</summary>
    /// <exception cref="InvalidSettingException">No member has that name; the message lists the choices.</exception>
    public static T Parse<T>(string setting, string text) where T : struct, Enum
    {
        string wanted = text.Trim().ToLowerInvariant();
        foreach (var value in Enum.GetValues<T>())
        {
            if (Of(value) == wanted)
            {
                return value;
            }
        }

        throw new InvalidSettingException(setting, text, Choices<T>());
    }

    /// <summary>One number per channel, "a,b,c" (invariant culture, finite): the grammar of mean and std values, as flags and model metadata write them.</summary>
    public static float[] ChannelValues(string setting, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                values = [];
                break;
            }
        }

        return values.Length == 3 ? values : throw new InvalidSettingException(setting, text, "three numbers, one per channel, such as 0.5,0.5,0.5");
    }
}
