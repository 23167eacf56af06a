using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head;

/// <summary>A row of NaN, or of 3e38 among ordinary rows, is refused by name; it was trained into a head that scores 50 %.</summary>
[Collection(HeadFileCollection.Name)]
public sealed class NonFiniteRowTests(SmallHead small)
{
    private static readonly HeadOptions Options = new() { Epochs = 2, Hidden = [8], Device = DeviceRequest.Cpu };

    [Fact]
    public void ANaNRowIsRefusedNamingTheCacheAndImageForTrainingAndAudit()
    {
        using var tmp = new TempDir();
        string dir = CopyWithRow(tmp.Path, 3, float.NaN);
        using var cache = FeatureCache.Open(dir);
        string path = cache.Manifest.Items[3].Path;

        var train = Assert.Throws<CacheException>(() => HeadTrainer.Train(cache, null, Options).Dispose());
        Assert.Contains($"row 3 ({path}) holds a NaN or infinity", train.Message, StringComparison.Ordinal);
        Assert.Contains(dir, train.Message, StringComparison.Ordinal);

        var audit = Assert.Throws<CacheException>(() => DatasetAudit.Run(cache, null, null, Options, 2, null));
        Assert.Contains(path, audit.Message, StringComparison.Ordinal);
    }

    /// <summary>3e38 is finite: standardised by statistics without it (a held-out row), it overflows and the loss is NaN.</summary>
    [Fact]
    public void AHugeHeldOutRowStopsTrainingAsDivergedNamingTheRow()
    {
        using var tmp = new TempDir();
        string dir = CopyWithRow(tmp.Path, 5, 3e38f);
        using var train = FeatureCache.Open(small.Cache);
        using var validation = FeatureCache.Open(dir);

        var e = Assert.Throws<TrainingDivergedException>(() => HeadTrainer.Train(train, validation, Options).Dispose());
        Assert.NotNull(e.DataProblem);
        Assert.Contains($"row 5 of cache '{dir}' ({validation.Manifest.Items[5].Path})", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAuditGeometryOfConstantFeaturesDoesNotCrash()
    {
        const int n = 6, f = 4;
        var rows = Enumerable.Repeat(0.5f, n * f).ToArray();
        var items = Enumerable.Range(0, n).Select(i => new AuditItem("train", $"img{i}.jpg")).ToArray();

        var (duplicates, outliers, _) = DatasetAudit.Geometry(rows, n, f, items, [0, 0, 0, 1, 1, 1], 2);

        Assert.Empty(outliers);
        Assert.Empty(duplicates);
    }

    /// <summary>A copy of the small cache with every feature of row <paramref name="row"/> set to <paramref name="value"/>.</summary>
    private string CopyWithRow(string parent, int row, float value)
    {
        string to = Path.Combine(parent, "cache");
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(small.Cache))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        string features = Path.Combine(to, "features.npy");
        var (_, shape, offset) = NpyFile.ReadHeader(features);
        using var fs = new FileStream(features, FileMode.Open, FileAccess.Write);
        fs.Position = offset + (row * shape[1] * sizeof(float));
        var bytes = new byte[shape[1] * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan()).Fill(value);
        fs.Write(bytes);
        return to;
    }
}
