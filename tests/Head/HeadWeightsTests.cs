using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests.Head;

/// <summary>
/// The managed head (<see cref="HeadWeights"/>): the weights.bin it writes and reads is TorchSharp's own format both
/// ways, its logits are TorchSharp's, and predict runs without loading libtorch at all.
/// </summary>
[Collection(HeadFileCollection.Name)]
public sealed class HeadWeightsTests(SmallHead small)
{
    public static TheoryData<int, int[], int, int> Shapes => new()
    {
        { 512, [256], 2, 7 },          // the default head on resnet18
        { 3000, [64, 32], 5, 40 },     // two hidden layers; 40 × 3000 × 64 rows × inputs × outputs takes the parallel path
        { 100, [], 3, 1 },             // a linear head, one row
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LogitsEqualTorchSharpsAndTheFileIsTheSameBothWays(int features, int[] hidden, int classes, int rows)
    {
        using var tmp = new TempDir();
        var random = new Random(features + rows);
        using var model = new DenseHead(features, hidden, 0.2, classes);
        model.SetStandardization(
            Enumerable.Range(0, features).Select(_ => (float)random.NextDouble()).ToArray(),
            Enumerable.Range(0, features).Select(_ => 0.5f + (float)random.NextDouble()).ToArray());
        var x = Enumerable.Range(0, rows * features).Select(_ => (float)(random.NextDouble() * 4)).ToArray();

        float[] expected;
        using (var scope = torch.NewDisposeScope())
        {
            expected = model.Logits(x, rows).data<float>().ToArray();
        }

        // TorchSharp's file, read by the managed reader.
        string torchFile = tmp.Sub("torch.bin");
        model.save(torchFile);
        var read = HeadWeights.Read(torchFile, features, hidden, classes);
        var actual = read.Logits(x, rows);
        Assert.Equal(rows * classes, actual.Length);
        double worst = actual.Zip(expected, (a, b) => Math.Abs(a - b) / (1 + Math.Abs(b))).Max();
        Assert.True(worst < 1e-5, $"largest relative difference from TorchSharp's logits: {worst}");

        // The managed file is byte for byte TorchSharp's, and TorchSharp loads it.
        string managedFile = tmp.Sub("managed.bin");
        using (var f = File.Create(managedFile))
        {
            HeadWeights.From(model).Write(f);
        }

        Assert.Equal(File.ReadAllBytes(torchFile), File.ReadAllBytes(managedFile));
        using var loaded = new DenseHead(features, hidden, 0.2, classes);
        loaded.load(managedFile);
        using (var scope = torch.NewDisposeScope())
        {
            Assert.Equal(expected, loaded.Logits(x, rows).data<float>().ToArray());
        }
    }

    [Fact]
    public void AWeightsFileForOtherShapesIsRefusedNamingTheTensor()
    {
        string weights = Path.Combine(small.Folder, TrainedHead.WeightsFile);
        var e = Assert.Throws<InvalidDataException>(() => HeadWeights.Read(weights, 512, [9], 2));
        Assert.Contains("'_layers.fc0.weight' has dimension 0 of 8, not 9", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidDataException>(() => HeadWeights.Read(weights, 512, [8, 4], 2));
        Assert.Contains("holds 6 tensors, the head 8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PredictNeverLoadsLibtorch()
    {
        using var tmp = new TempDir();
        string photo = TestPaths.Photo("test", "cat", 4001);

        // The dynamic loader lists every library the process opens, dlopen's included.
        var r = CliProcess.Exec("dotnet", [TestPaths.CliDll, "predict", "--head", small.Folder, photo, "--device", "cpu"], new Dictionary<string, string> { ["LD_DEBUG"] = "files" });
        Assert.True(r.ExitCode == 0, r.Stderr[^Math.Min(2000, r.Stderr.Length)..]);
        Assert.Contains("cat.4001.jpg", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("libonnxruntime.so", r.Stderr, StringComparison.Ordinal);   // the listing works
        Assert.DoesNotContain("libtorch", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("LibTorchSharp", r.Stderr, StringComparison.Ordinal);
    }
}
