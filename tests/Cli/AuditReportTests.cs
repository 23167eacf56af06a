using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

/// <summary><c>audit --report DIR</c> opened in headless Chromium, as the evaluation report is: the page holds what --json holds, and every thumbnail loads.</summary>
[Collection(ResNetCollection.Name)]
public sealed partial class AuditReportTests(ResNetCache fixture)
{
    [Fact]
    public void ReportOpensInABrowserAndMatchesTheJson()
    {
        using var tmp = new TempDir();
        var run = CliProcess.Run("audit", "--cache", fixture.Root, "--head-device", "cpu", "--json", "--report", tmp.Sub("report"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        int suspects = doc.RootElement.GetProperty("labelSuspects").GetArrayLength();
        int groups = doc.RootElement.GetProperty("duplicates").GetArrayLength();
        int outliers = doc.RootElement.GetProperty("outliers").GetArrayLength();
        Assert.True(suspects > 0, "the shared photos' out-of-fold heads disagree with some labels");

        string dom = Browser.DumpDom(Path.Combine(tmp.Sub("report"), "index.html"));
        Assert.Equal($"{suspects}", Summary(dom, "data-suspects"));
        Assert.Equal($"{groups}", Summary(dom, "data-groups"));
        Assert.Equal($"{outliers}", Summary(dom, "data-outliers"));
        Assert.Equal(suspects, SuspectFigure().Count(dom));
        var firstScore = SuspectFigure().Match(dom).Groups[1].Value;
        Assert.Equal(doc.RootElement.GetProperty("labelSuspects")[0].GetProperty("score").GetDouble(), double.Parse(firstScore, System.Globalization.CultureInfo.InvariantCulture), 6);
        int pictures = suspects + doc.RootElement.GetProperty("duplicates").EnumerateArray().Sum(g => g.GetProperty("items").GetArrayLength()) + outliers;
        Assert.Equal($"{pictures}", Regex.Match(dom, "<body[^>]*data-images-loaded=\"([^\"]*)\"").Groups[1].Value);
        Assert.Equal("0", Regex.Match(dom, "<body[^>]*data-images-broken=\"([^\"]*)\"").Groups[1].Value);
    }

    private static string Summary(string dom, string name) => Regex.Match(dom, $"id=\"summary\"[^>]*{name}=\"([^\"]*)\"").Groups[1].Value;

    [GeneratedRegex("<figure class=\"suspect\"[^>]*data-score=\"([^\"]+)\"")]
    private static partial Regex SuspectFigure();
}
