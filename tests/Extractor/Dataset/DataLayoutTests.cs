using Pipeline.Cli;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Extractor.Dataset;

public sealed class DataLayoutTests
{
    public static TheoryData<string, string> BadLayouts => new()
    {
        { "missing", "no such folder" },
        { "no-classes", "no class folders" },
        { "one-class", "only one class folder" },
        { "no-images", "hold no images" },
    };

    [Theory]
    [MemberData(nameof(BadLayouts))]
    public void BadFolderLayoutGetsOneLineErrorNamingTheFolderAndExitCode3(string layout, string expected)
    {
        using var tmp = new TempDir();
        string data = tmp.Sub("data");
        switch (layout)
        {
            case "no-classes":
                Directory.CreateDirectory(data);
                File.Copy(TestPaths.Photo("train", "cat", 1), Path.Combine(data, "loose.jpg"));
                break;
            case "one-class":
                Datasets.SmallCatsDogs(data, 1);
                Directory.Delete(Path.Combine(data, "dog"), recursive: true);
                break;
            case "no-images":
                Directory.CreateDirectory(Path.Combine(data, "cat"));
                Directory.CreateDirectory(Path.Combine(data, "dog"));
                File.WriteAllText(Path.Combine(data, "cat", "readme.txt"), "no images here");
                break;
        }

        var e = Assert.ThrowsAny<PipelineException>(() => ImageFolder.Scan(data));
        Assert.Equal(ExitCode.BadDataLayout, Reported.Of(e).Code);
        Assert.Contains(expected, e.Message);
        Assert.Contains(data, e.Message);

        var cli = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"));
        Assert.Equal(3, cli.ExitCode);
        var lines = cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.StartsWith("hint: ", lines[1]);
    }

    [Theory]
    [InlineData("--batch", "0", "--batch '0'")]
    [InlineData("--dtype", "int8", "--dtype 'int8'")]
    [InlineData("--backbone", "alexnet", "--backbone 'alexnet'")]
    [InlineData("--device", "tpu", "--device 'tpu'")]
    [InlineData("--resize", "fill", "--resize 'fill'")]
    public void BadArgumentGetsOneLineErrorNamingItAndExitCode2(string option, string value, string named)
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 1);
        var cli = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), option, value);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains(named, cli.Stderr);
        Assert.Contains("hint: ", cli.Stderr);
    }

    [Fact]
    public void VggPresetWithoutItsFileNamesTheRemedy()
    {
        using var tmp = new TempDir();
        string data = Datasets.SmallCatsDogs(tmp.Sub("data"), 1);
        var cli = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", "vgg16");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--model is required: the vgg16 preset needs its model file", cli.Stderr);
        Assert.Contains("hint: pass --model", cli.Stderr);

        File.WriteAllText(tmp.Sub("garbage.onnx"), "not a model");
        var bad = CliProcess.Run("extract", "--data", data, "--out", tmp.Sub("cache"), "--backbone", "vgg16", "--model", tmp.Sub("garbage.onnx"));
        Assert.Equal((int)ExitCode.BadModel, bad.ExitCode);
        Assert.Contains("garbage.onnx", bad.Stderr);
    }
}
