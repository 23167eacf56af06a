using System.Reflection;
using System.Runtime.CompilerServices;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

/// <summary>The CLI is a shell over the libraries' public surface: they grant it no access to their internals.</summary>
public sealed class PublicSurfaceTests
{
    public static TheoryData<string> Libraries => new() { "Pipeline.Extractor", "Pipeline.Head", "Pipeline.Tooling" };

    [Theory]
    [MemberData(nameof(Libraries))]
    public void LibraryGrantsTheCliNoInternalsAccess(string library)
    {
        var assembly = Assembly.Load(library);
        var friends = assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();

        Assert.Contains("Pipeline.Tests", friends);                 // the attribute is read: tests keep their access
        Assert.DoesNotContain("pipeline", friends, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>`using Pipeline;` reaches every public type the entry point takes or gives; the three shared conventions (JSON format, setting grammar, did-you-mean) are the one other namespace.</summary>
    [Theory]
    [InlineData("Pipeline.Extractor", "JsonFormats,Nearest,SettingNames")]
    [InlineData("Pipeline.Head", "")]
    public void EveryPublicTypeIsInNamespacePipeline(string library, string helpers)
    {
        var types = Assembly.Load(library).GetExportedTypes().Where(t => !t.IsNested).ToList();
        Assert.NotEmpty(types);
        var elsewhere = types.Where(t => t.Namespace is not ("Pipeline" or "Pipeline.Conventions")).Select(t => t.FullName).ToList();
        Assert.True(elsewhere.Count == 0, $"outside Pipeline: {string.Join(", ", elsewhere)}");
        Assert.Equal(helpers.Split(',', StringSplitOptions.RemoveEmptyEntries), types.Where(t => t.Namespace == "Pipeline.Conventions").Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void CliAssemblyIsTheOneNamedPipeline()
    {
        // The name the attribute would use: if the CLI's assembly were renamed, the test above would check nothing.
        Assert.Equal("pipeline", typeof(Pipeline.Cli.CliApp).Assembly.GetName().Name);
    }

    [Fact]
    public void CachesInfoCountsWhatExtractWrote()
    {
        // The entry point info prints from: ResNet18 over 3 + 2 photos per class.
        using var tmp = new TempDir();
        Datasets.SmallCatsDogs(tmp.Sub("data", "train"), perClass: 3);
        Datasets.SmallCatsDogs(tmp.Sub("data", "test"), perClass: 2, first: 4001, split: "test");
        new TransferLearning { Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } }.Extract(tmp.Sub("data"), tmp.Sub("cache"));

        var infos = Caches.Info(tmp.Sub("cache"), checkFinite: true);

        Assert.Equal(["test", "train"], Caches.Splits(tmp.Sub("cache")).Order(StringComparer.Ordinal));
        Assert.Equal(Caches.Splits(tmp.Sub("cache")), infos.Select(i => i.Split));
        var train = infos.Single(i => i.Split == "train");
        Assert.Equal(["cat", "dog"], train.Classes);
        Assert.Equal([3, 3], train.PerClass);
        Assert.Equal((6, 6, 512), (train.Images, train.Rows, train.FeatureLength));
        Assert.Equal([2, 2], infos.Single(i => i.Split == "test").PerClass);
        Assert.Equal("resnet18", train.Backbone.Name);
        Assert.Equal(FeatureSpace.FolderSelection, train.Selection);
    }
}
