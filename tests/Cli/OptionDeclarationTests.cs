using System.CommandLine;
using Pipeline.Cli;

namespace Pipeline.Tests.Cli;

/// <summary>Options are declared once, in groups, and composed into commands: the tree itself is checked.</summary>
public sealed class OptionDeclarationTests
{
    /// <summary>
    /// Names whose meaning is each command's own, so each command declares its own option: where its
    /// output goes (--out, and the page --report writes, which differs per command), which cache, data or source (--from) it reads, and the synthetic model's weight seed.
    /// </summary>
    private static readonly HashSet<string> PerCommand = ["--out", "--report", "--cache", "--data", "--in", "--from", "--seed"];

    [Fact]
    public void NoOptionNameIsDeclaredTwiceExceptACommandsOwnPaths()
    {
        var byName = Commands(CliApp.Build()).SelectMany(c => c.Options).Where(o => o.Name is not ("--help" or "--version"))
            .Distinct().GroupBy(o => o.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var duplicated = byName.Where(n => !PerCommand.Contains(n)).ToList();
        Assert.True(duplicated.Count == 0, $"declared more than once: {string.Join(", ", duplicated)}");
    }

    /// <summary>run is extract, then train, then evaluate: it takes every option of both under the same name.</summary>
    [Fact]
    public void RunTakesEveryExtractAndTrainOption()
    {
        var commands = CliApp.Build().Subcommands.ToDictionary(c => c.Name);
        var run = commands["run"].Options.Select(o => o.Name).ToHashSet();
        string[] ownLayout = ["--out", "--cache", "--val"];   // run writes WORK/cache and WORK/head itself
        var missing = commands["extract"].Options.Concat(commands["train"].Options).Select(o => o.Name)
            .Where(n => !run.Contains(n) && !ownLayout.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"run lacks: {string.Join(", ", missing)}");
    }

    /// <summary>The same option object serves every command that takes it: one declaration, one meaning.</summary>
    [Theory]
    [InlineData("--backbone", "extract", "run", "bench", "predict", "export")]
    [InlineData("--device", "extract", "run", "bench", "predict")]
    [InlineData("--seed", "extract", "run", "train")]
    [InlineData("--tta", "extract", "run", "evaluate", "predict")]
    [InlineData("--json", "extract", "run", "train", "evaluate", "predict", "bench", "info")]
    [InlineData("--epochs", "train", "run")]
    public void SharedOptionIsOneObject(string name, params string[] commandNames)
    {
        var commands = CliApp.Build().Subcommands.ToDictionary(c => c.Name);
        var options = commandNames.Select(c => commands[c].Options.Single(o => o.Name == name)).Distinct().ToList();
        Assert.Single(options);
    }

    [Fact]
    public void EveryOptionAndCommandIsDescribed()
    {
        var undescribed = Commands(CliApp.Build()).SelectMany(c => c.Options.Where(o => string.IsNullOrWhiteSpace(o.Description)).Select(o => $"{c.Name} {o.Name}")).ToList();
        Assert.True(undescribed.Count == 0, $"no description: {string.Join(", ", undescribed)}");
    }

    private static IEnumerable<Command> Commands(Command root) => root.Subcommands.SelectMany(c => Commands(c).Prepend(c));
}
