using System.Text.RegularExpressions;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Packaging;

/// <summary>
/// The README's C# program, exactly as written there, built as a fresh console project that references only the
/// library packages <c>dotnet pack</c> writes into a folder feed (no project reference, no extra property), then
/// run on a small split dataset: it must print an accuracy, a prediction from memory, and write the export.
/// The packages get a version of their own per run, so NuGet's cache never serves an older build.
/// </summary>
public sealed partial class ReadmeProgramTests
{
    [Fact]
    public void ReadmeProgramBuildsAgainstThePackedPackagesAndRuns()
    {
        using var tmp = new TempDir();
        string version = $"0.0.0-readme.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        // Packed from a copy of the sources (as a clean clone would), so the suite's own build outputs are untouched.
        CopySources(tmp.Sub("src"));
        foreach (var project in new[] { "src/Extractor/Extractor.csproj", "src/Head/Head.csproj" })
        {
            var pack = CliProcess.Exec("dotnet", ["pack", tmp.Sub("src", project), "-c", "Release", "-o", tmp.Sub("feed"), $"-p:Version={version}", "-p:IncludeSymbols=false", "--nologo"]);
            Assert.True(pack.ExitCode == 0, pack.Stdout + pack.Stderr);
        }

        Directory.CreateDirectory(tmp.Sub("app"));
        File.WriteAllText(tmp.Sub("app", "Program.cs"), ReadmeProgram());
        File.WriteAllText(tmp.Sub("app", "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Pipeline.Head" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        // The folder feed first; everything else from the sources this machine already uses.
        File.WriteAllText(tmp.Sub("app", "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="feed" value="{tmp.Sub("feed")}" />
              </packageSources>
            </configuration>
            """);
        // Outside the repository, so its Directory.Build.* files are not imported: a consumer's plain project.
        var build = CliProcess.Exec("dotnet", ["build", tmp.Sub("app", "app.csproj"), "-c", "Release", "--nologo"]);
        Assert.True(build.ExitCode == 0, build.Stdout + build.Stderr);

        string data = tmp.Sub("data");
        Datasets.SmallCatsDogs(Path.Combine(data, "train"), 20);
        Datasets.SmallCatsDogs(Path.Combine(data, "test"), 10, first: 4001, split: "test");
        var run = CliProcess.Exec("dotnet", [tmp.Sub("app", "bin", "Release", "net10.0", "app.dll"), data, tmp.Sub("work")]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var accuracy = AccuracyLine().Match(run.Stdout);
        Assert.True(accuracy.Success, run.Stdout);
        Assert.InRange(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 70, 100);
        Assert.Matches(@"\.jpg: (cat|dog) \(", run.Stdout);
        Assert.True(new FileInfo(tmp.Sub("work", "classifier.onnx")).Length > 40_000_000, "the export holds the ResNet18 weights");
        Assert.True(File.Exists(tmp.Sub("work", "head", "head.json")));
    }

    private static void CopySources(string to)
    {
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", ".editorconfig", "README.md", "LICENSE" })
        {
            Directory.CreateDirectory(to);
            File.Copy(Path.Combine(TestPaths.RepoRoot, file), Path.Combine(to, file));
        }

        foreach (var dir in new[] { "build", "src/Extractor", "src/Head" })
        {
            string root = Path.Combine(TestPaths.RepoRoot, dir);
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file);
                if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
                {
                    continue;
                }

                string target = Path.Combine(to, dir, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }

    /// <summary>The README's one C# block, under the heading that names C#.</summary>
    internal static string ReadmeProgram()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        int section = readme.IndexOf("\n## Use it from C#", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no '## Use it from C#' section");
        var block = CSharpBlock().Match(readme, section);
        Assert.True(block.Success, "no ```csharp block under it");
        int lines = block.Groups[1].Value.TrimEnd().Split('\n').Length;
        Assert.True(lines <= 25, $"the README's program is {lines} lines; the promise is 25 at most");
        return block.Groups[1].Value;
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"(?:test|held-out) accuracy: ([0-9.]+) ?%")]
    private static partial Regex AccuracyLine();
}
