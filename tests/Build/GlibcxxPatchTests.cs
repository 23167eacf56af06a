namespace Pipeline.Tests.Build;

public sealed class GlibcxxPatchTests
{
    private static string OutputCopy => Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();

    private static string NuGetCopy => Directory.EnumerateFiles(
        Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "torchsharp"),
        "libLibTorchSharp.so", SearchOption.AllDirectories).First();

    /// <summary>The build marks the requirement weak in its output exactly when this system's libstdc++ lacks the version.</summary>
    [Fact]
    public void BuildOutputCopyIsWeakExactlyWhenTheSystemLacksTheVersion()
    {
        int flags = GlibcxxWeakPatch.Flags(File.ReadAllBytes(OutputCopy), GlibcxxWeakPatch.Version);
        Assert.True(flags >= 0, "libLibTorchSharp.so names no GLIBCXX_3.4.32 requirement: has TorchSharp changed?");
        bool weak = (flags & 2) != 0;
        Assert.Equal(!GlibcxxWeakPatch.SystemHas(GlibcxxWeakPatch.Version), weak);
    }

    [Fact]
    public void NuGetCacheCopyIsNeverPatched()
    {
        Assert.Equal(0, GlibcxxWeakPatch.Flags(File.ReadAllBytes(NuGetCopy), GlibcxxWeakPatch.Version) & 2);
    }

    [Fact]
    public void PatchSetsOnlyTheWeakFlagAndIsIdempotent()
    {
        string copy = Path.Combine(Path.GetTempPath(), $"libLibTorchSharp-{Guid.NewGuid():N}.so");
        File.Copy(NuGetCopy, copy);
        try
        {
            var before = File.ReadAllBytes(copy);
            Assert.True(GlibcxxWeakPatch.MakeWeak(copy, GlibcxxWeakPatch.Version));
            var after = File.ReadAllBytes(copy);
            Assert.Equal(before.Length, after.Length);
            Assert.Equal(1, before.Zip(after).Count(p => p.First != p.Second));
            Assert.Equal(2, GlibcxxWeakPatch.Flags(after, GlibcxxWeakPatch.Version) & 2);
            Assert.False(GlibcxxWeakPatch.MakeWeak(copy, GlibcxxWeakPatch.Version));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void TorchSharpLoadsAndComputes()
    {
        using var t = TorchSharp.torch.ones(3, 4).sum();
        Assert.Equal(12f, t.item<float>());
    }
}
