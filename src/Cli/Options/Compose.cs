using System.CommandLine;

namespace Pipeline.Cli.Options;

/// <summary>Adds option groups to a command; an option two groups share is added once.</summary>
internal static class Compose
{
    public static void Add(Command command, IEnumerable<Option> options)
    {
        foreach (var option in options.Distinct())
        {
            command.Add(option);
        }
    }
}
