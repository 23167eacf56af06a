using System.Text.Json.Nodes;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Cache;

public sealed class CacheIntegrityTests
{
    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", "<f4", "3,4")]
    [InlineData("{'descr':'<f4','fortran_order':False,'shape':(3,4)}", "<f4", "3,4")]
    [InlineData("{'shape': (7,), 'fortran_order': False, 'descr': '<i4'}", "<i4", "7")]
    [InlineData("{\"descr\": \"<f2\", \"fortran_order\": False, \"shape\": (2, 5)}", "<f2", "2,5")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 4), }", "<f4", "1,4")]
    public void HeaderIsReadAsADictionary(string dict, string descr, string shape)
    {
        var h = NpyHeader.Parse(dict);
        Assert.NotNull(h);
        Assert.Equal(descr, h.Value.Descr);
        Assert.Equal(shape, string.Join(",", h.Value.Shape));
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False}")]
    [InlineData("{'descr': '<f4', 'fortran_order': Flase, 'shape': (3, 4)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'extra': 1}")]
    [InlineData("{'descr': '<f4', 'descr': '<f2', 'fortran_order': False, 'shape': (3, 4)}")]
    public void MalformedHeadersAreRefused(string dict) => Assert.Null(NpyHeader.Parse(dict));

    /// <summary>numpy writes <c>'fortran_order':True</c> without a space when asked; read by substring it passed as C order.</summary>
    [Theory]
    [InlineData("{'descr':'<f4','fortran_order':True,'shape':(3,4)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }")]
    public void FortranOrderFeaturesAreRefused(string dict)
    {
        using var tmp = new TempDir();
        string path = tmp.Sub("features.npy");
        WriteNpy(path, dict, new byte[3 * 4 * 4]);
        var e = Assert.Throws<InvalidDataException>(() => NpyFile.ReadHeader(path));
        Assert.Contains("Fortran", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A cache copied with <c>cp -rs</c> (as DVC and git-annex check out) holds links: their own size is not the data's.</summary>
    [Fact]
    public void ACacheOfSymbolicLinksOpensAndReadsTheSameRows()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), perClass: 2);
        FeatureExtractor.Run(new ExtractionOptions { Data = data, Out = tmp.Sub("cache"), Backbone = new BackboneSpec { Device = DeviceRequest.Cpu } });
        Directory.CreateDirectory(tmp.Sub("links"));
        foreach (var f in Directory.GetFiles(tmp.Sub("cache")))
        {
            File.CreateSymbolicLink(tmp.Sub("links", Path.GetFileName(f)), f);
        }

        using var real = FeatureCache.Open(tmp.Sub("cache"));
        using var linked = FeatureCache.Open(tmp.Sub("links"));
        var (a, b) = (new float[real.FeatureLength], new float[linked.FeatureLength]);
        for (int r = 0; r < real.Count; r++)
        {
            real.ReadRow(r, a);
            linked.ReadRow(r, b);
            Assert.Equal(a, b);
        }

        Assert.Equal(real.Labels, linked.Labels);
    }

    [Theory]
    [InlineData("../outside/x")]
    [InlineData("/tmp")]
    [InlineData("train/../../x")]
    [InlineData("")]
    public void SplitNamesOutsideTheCacheAreRefused(string split)
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.Sub("cache"));
        var root = new JsonObject { ["format"] = "pipeline-feature-cache-splits", ["formatVersion"] = 1, ["splits"] = new JsonArray("train", split), ["classes"] = new JsonArray("cat", "dog") };
        File.WriteAllText(tmp.Sub("cache", "manifest.json"), root.ToJsonString());

        var e = Assert.Throws<CacheException>(() => FeatureCache.TryReadSplitRoot(tmp.Sub("cache")));
        Assert.Contains("not a plain folder name", e.Message, StringComparison.Ordinal);
        var merge = CliProcess.Run("merge", tmp.Sub("cache"));
        Assert.Equal((int)Pipeline.Cli.ExitCode.BadCache, merge.ExitCode);
        var info = CliProcess.Run("info", tmp.Sub("cache"));
        Assert.Equal((int)Pipeline.Cli.ExitCode.BadCache, info.ExitCode);
        Assert.False(Directory.Exists(tmp.Sub("outside")));
    }

    private static void WriteNpy(string path, string dict, byte[] data)
    {
        int unpadded = 10 + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        var header = new byte[padded];
        header[0] = 0x93;
        "NUMPY"u8.CopyTo(header.AsSpan(1));
        header[6] = 1;
        BitConverter.TryWriteBytes(header.AsSpan(8, 2), (ushort)(padded - 10));
        System.Text.Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        header.AsSpan(10 + dict.Length, padded - 11 - dict.Length).Fill((byte)' ');
        header[^1] = (byte)'\n';
        File.WriteAllBytes(path, [.. header, .. data]);
    }
}
