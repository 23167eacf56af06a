using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

[Collection(ResNetCollection.Name)]
public sealed partial class EvaluationReportTests(ResNetCache fixture)
{
    /// <summary>
    /// The report, opened in a real browser (headless Chromium), shows what <c>evaluate --json</c> says: the
    /// same image and correct counts, the same confusion matrix, one thumbnail per mistake, every one loaded,
    /// worst first.
    /// </summary>
    [Fact]
    public void ReportOpensInABrowserAndMatchesTheJson()
    {
        using var tmp = new TempDir();
        using (var train = FeatureCache.Open(fixture.Root, "train"))
        using (var head = HeadTrainer.Train(train, null, new HeadOptions { Epochs = 2, Device = DeviceRequest.Cpu }))
        {
            head.Save(tmp.Sub("head"));
        }

        var json = CliProcess.Run("evaluate", "--head", tmp.Sub("head"), "--cache", fixture.Root, "--json", "--report", tmp.Sub("report"));
        Assert.True(json.ExitCode == 0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        var root = doc.RootElement;
        int images = root.GetProperty("images").GetInt32();
        var confusion = root.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
        int correct = confusion[0][0] + confusion[1][1];
        int mistakes = root.GetProperty("mistakes").GetArrayLength();
        Assert.Equal(images - correct, mistakes);
        Assert.True(mistakes > 0, "a 2-epoch head should make some mistakes on 400 photos");

        string dom = Browser.DumpDom(Path.Combine(tmp.Sub("report"), "index.html"));
        Assert.Equal($"{images}", Attribute(dom, "accuracy", "data-images"));
        Assert.Equal($"{correct}", Attribute(dom, "accuracy", "data-correct"));
        var cells = ConfusionCell().Matches(dom).Select(m => (m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(4, cells.Count);
        string[] classes = ["cat", "dog"];
        Assert.All(cells, c => Assert.Equal(confusion[Array.IndexOf(classes, c.Item1)][Array.IndexOf(classes, c.Item2)], c.Item3));

        var figures = Figure().Matches(dom).ToList();
        Assert.Equal(mistakes, figures.Count);
        Assert.Equal($"{mistakes}", BodyAttribute(dom, "data-images-loaded"));
        Assert.Equal("0", BodyAttribute(dom, "data-images-broken"));
        var confidence = figures.Select(f => double.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(confidence.OrderDescending(), confidence);   // two classes: worst first = most confident mistake first
    }

    private static string Attribute(string dom, string id, string name) =>
        Regex.Match(dom, $"id=\"{id}\"[^>]*{name}=\"([^\"]*)\"|{name}=\"([^\"]*)\"[^>]*id=\"{id}\"") is { Success: true } m
            ? (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) : "";

    private static string BodyAttribute(string dom, string name) => Regex.Match(dom, $"<body[^>]*{name}=\"([^\"]*)\"").Groups[1].Value;

    [GeneratedRegex("<td[^>]*data-true=\"([^\"]+)\" data-predicted=\"([^\"]+)\">(\\d+)</td>")]
    private static partial Regex ConfusionCell();

    [GeneratedRegex("<figure class=\"mistake\"[^>]*data-confidence=\"([^\"]+)\"")]
    private static partial Regex Figure();
}
