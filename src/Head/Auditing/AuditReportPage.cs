using System.Globalization;

namespace Pipeline.Head.Auditing;

/// <summary>
/// <see cref="AuditReport.WriteReport"/> (<c>audit --report DIR</c>): one self-contained page (DIR/index.html, thumbnails inlined) in the style of the
/// evaluation report: each label suspect with its label and the predicted class, the near-duplicate groups side by
/// side (leaks first), and the outliers; each list most suspect first, as the JSON has it.
/// </summary>
internal static class AuditReportPage
{
    /// <param name="sources">Each split's image folder (a cache manifest's Source), by split name.</param>
    public static string Write(string dir, AuditReport report, IReadOnlyDictionary<string, string?> sources, string cacheDir)
    {
        Directory.CreateDirectory(dir);
        var inv = CultureInfo.InvariantCulture;
        var html = ReportPage.Begin("Audit report", """
            .cards { display: flex; flex-wrap: wrap; gap: 1rem; }
            .group { display: flex; gap: .5rem; padding: .5rem; margin: .5rem 0; border: 1px solid #ccc; align-items: flex-start; }
            .group.leak { border-color: #c00; background: #fff3f3; }

            """);
        html.Append(inv, $"<h1>Audit of {Encode(cacheDir)}</h1>\n");
        html.Append(inv, $"<p id=\"summary\" data-suspects=\"{report.LabelSuspects.Count}\" data-groups=\"{report.Duplicates.Count}\" data-leaks=\"{report.Duplicates.Count(d => d.Leak)}\" data-outliers=\"{report.Outliers.Count}\">");
        html.Append(inv, $"{report.LabelSuspects.Count} label suspects, {report.Duplicates.Count} near-duplicate groups ({report.Duplicates.Count(d => d.Leak)} leaks between splits; cosine ≥ {report.DuplicateThreshold:R}), {report.Outliers.Count} outliers.</p>\n");

        html.Append("<h2>Label suspects, most suspect first</h2>\n<div class=\"cards\" id=\"suspects\">\n");
        foreach (var s in report.LabelSuspects)
        {
            html.Append(inv, $"<figure class=\"suspect\" data-label=\"{Encode(s.Label)}\" data-predicted=\"{Encode(s.Predicted)}\" data-score=\"{s.Score:R}\">{Picture(sources, s.Split, s.Path)}");
            html.Append(inv, $"<figcaption>{Encode(Named(s.Split, s.Path))}<br>filed as <b>{Encode(s.Label)}</b>, looks like <b>{Encode(s.Predicted)}</b> (p(label) {s.Score:F3})</figcaption></figure>\n");
        }

        html.Append("</div>\n<h2>Near-duplicates, leaks between splits first</h2>\n<div id=\"duplicates\">\n");
        foreach (var g in report.Duplicates)
        {
            html.Append(inv, $"<div class=\"group{(g.Leak ? " leak" : "")}\" data-leak=\"{(g.Leak ? "true" : "false")}\" data-size=\"{g.Size}\"><b>{(g.Leak ? "LEAK " : "")}{g.Similarity:F3}</b>{(g.Count is { } all ? $" {all:N0} images, {g.Items.Count} shown" : "")}");
            foreach (var item in g.Items)
            {
                html.Append(inv, $"<figure>{Picture(sources, item.Split, item.Path)}<figcaption>{Encode(Named(item.Split, item.Path))}</figcaption></figure>");
            }

            html.Append("</div>\n");
        }

        html.Append("</div>\n<h2>Outliers, farthest first</h2>\n<div class=\"cards\" id=\"outliers\">\n");
        foreach (var o in report.Outliers)
        {
            html.Append(inv, $"<figure class=\"outlier\" data-score=\"{o.Score:R}\">{Picture(sources, o.Split, o.Path)}<figcaption>{Encode(Named(o.Split, o.Path))}<br>{o.Score:F2} deviations from the nearest class</figcaption></figure>\n");
        }

        return ReportPage.End(html, "figure img", dir);
    }

    private static string Named(string split, string path) => split.Length > 0 ? $"{split}/{path}" : path;

    private static string Picture(IReadOnlyDictionary<string, string?> sources, string split, string path) =>
        ReportPage.Picture(sources.GetValueOrDefault(split) is { } root ? Path.Combine(root, path) : path, path);

    private static string Encode(string text) => ReportPage.Encode(text);
}
