using System.CommandLine;

namespace Pipeline.Cli.Options;

/// <summary>Typed options whose values the libraries parse: a bad value is a parse error naming the option.</summary>
internal static class OptionValues
{
    /// <summary>An option whose text the domain parses (a device, a shard, a rule); its errors become parse errors.</summary>
    public static Option<T> Parsed<T>(string name, string helpName, string description, Func<string, T> parse, Func<T>? defaultValue = null)
    {
        var option = new Option<T>(name)
        {
            HelpName = helpName,
            Description = description,
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                try
                {
                    return parse(text);
                }
                catch (InvalidSettingException e)
                {
                    r.AddError($"{name} '{text}' is not {e.Expected}");
                    return default!;
                }
            },
        };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue();
        }

        return option;
    }

    /// <summary>
    /// An integer option; with a range (for options only the CLI has), values outside it are a parse error naming
    /// both. A setting the libraries take is range-checked there, once, and the CLI shows their message.
    /// </summary>
    public static Option<int> Int(string name, string helpName, string description, int defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var option = new Option<int>(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < min || v > max)
            {
                r.AddError(max == int.MaxValue ? $"{name} {v} is not at least {min}" : $"{name} {v} is not from {min} to {max}");
            }
        });
        return option;
    }

    public static Option<double> Double(string name, string helpName, string description, double defaultValue, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var option = new Option<double>(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v >= min && v <= max))
            {
                r.AddError($"{name} {v} is not from {min} to {max}");
            }
        });
        return option;
    }

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    public static Option<string> Text(string name, string helpName, string description, bool required = false) =>
        new(name) { HelpName = helpName, Description = description, Required = required };
}
