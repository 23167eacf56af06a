namespace Pipeline.Tests.Support;

/// <summary>Where the repository, the shared photos and the built CLI are.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Real photos, ../shared/data/cats-vs-dogs-small beside the repository (never copied into it).</summary>
    public static string CatsVsDogs { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "cats-vs-dogs-small"));

    /// <summary>The CLI, built next to the tests.</summary>
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "pipeline.dll");

    /// <summary>The packaged ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18), copied next to the tests.</summary>
    public static string ResNet18Model { get; } = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    public static string Photo(string split, string cls, int n) => Path.Combine(CatsVsDogs, split, cls, $"{cls}.{n}.jpg");

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pipeline-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
