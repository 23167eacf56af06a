using System.Globalization;
using System.Text;

namespace Pipeline.Head.Scoring;

/// <summary>
/// <see cref="Evaluation.WriteReport"/> (<c>evaluate --report DIR</c>): one self-contained HTML page (DIR/index.html, thumbnails inlined as data
/// URIs) with the accuracy and its interval, the confusion matrix, per-class precision, recall and F1, and a
/// thumbnail of every misclassified image with its true label, prediction and confidence, worst first.
/// </summary>
internal static class EvaluationReport
{
    public static string Write(string dir, Evaluation e, EvaluationContext context)
    {
        Directory.CreateDirectory(dir);
        var inv = CultureInfo.InvariantCulture;
        var html = ReportPage.Begin("Evaluation report", """
            table { border-collapse: collapse; margin: 1rem 0; }
            td, th { border: 1px solid #ccc; padding: .3rem .7rem; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            td.diagonal { background: #e6f4e6; }
            .mistakes { display: flex; flex-wrap: wrap; gap: 1rem; }

            """);
        html.Append(inv, $"<h1>Evaluation: {Encode(context.Head)} on {Encode(context.Cache)}</h1>\n");
        html.Append(inv, $"<p id=\"accuracy\" data-images=\"{e.Images}\" data-correct=\"{e.Correct}\" data-accuracy=\"{e.Accuracy:R}\">Accuracy <b>{e.Accuracy:P2}</b> on {e.Images} images ({e.Correct} correct); 95 % Wilson interval {e.AccuracyLow:P2} to {e.AccuracyHigh:P2}; log-loss {e.Loss:F4}.</p>\n");
        html.Append(inv, $"<p>Backbone {Encode(context.Backbone)}; preprocessing {Encode(context.Preprocessing)}.</p>\n");

        if (e.MultiLabel is { } multi)
        {
            MultiLabelTable(html, multi);   // no confusion matrix: an image may have several labels
        }
        else
        {
            html.Append("<h2>Confusion matrix</h2>\n<table id=\"confusion\"><tr><th>true \\ predicted</th>");
            foreach (var c in e.PerClass)
            {
                html.Append(inv, $"<th>{Encode(c.Class)}</th>");
            }

            html.Append("</tr>\n");
            for (int t = 0; t < e.Confusion.Count; t++)
            {
                html.Append(inv, $"<tr><th>{Encode(e.PerClass[t].Class)}</th>");
                for (int p = 0; p < e.Confusion[t].Count; p++)
                {
                    html.Append(inv, $"<td{(t == p ? " class=\"diagonal\"" : "")} data-true=\"{Encode(e.PerClass[t].Class)}\" data-predicted=\"{Encode(e.PerClass[p].Class)}\">{e.Confusion[t][p]}</td>");
                }

                html.Append("</tr>\n");
            }

            html.Append("</table>\n");
        }

        html.Append("<h2>Per class</h2>\n<table id=\"per-class\"><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
        foreach (var c in e.PerClass)
        {
            html.Append(inv, $"<tr data-class=\"{Encode(c.Class)}\" data-support=\"{c.Support}\"><td>{Encode(c.Class)}</td><td>{c.Precision:P2}</td><td>{c.Recall:P2}</td><td>{c.F1:F4}</td><td>{c.Support}</td></tr>\n");
        }

        html.Append("</table>\n");
        if (e.Calibration is { } calibration)
        {
            ReliabilityDiagram(html, calibration);
        }

        html.Append(inv, $"<h2>Misclassified images ({e.Mistakes.Count}), worst first</h2>\n<div class=\"mistakes\" id=\"mistakes\">\n");
        foreach (var m in e.Mistakes)
        {
            string path = context.Source is { } source ? Path.Combine(source, m.Path) : m.Path;
            string picture = ReportPage.Picture(path, m.Path);
            html.Append(inv, $"<figure class=\"mistake\" data-true=\"{Encode(m.True)}\" data-predicted=\"{Encode(m.Predicted)}\" data-confidence=\"{m.Confidence:R}\">{picture}");
            html.Append(inv, $"<figcaption>{Encode(m.Path)}<br>true <b>{Encode(m.True)}</b>, predicted <b>{Encode(m.Predicted)}</b> ({m.Confidence:P1})</figcaption></figure>\n");
        }

        return ReportPage.End(html, "#mistakes img", dir);
    }

    /// <summary>
    /// The reliability diagram as inline SVG: per confidence bin, a bar at the bin's accuracy after temperature
    /// scaling and a dot at its accuracy before; a calibrated head's bars reach the diagonal.
    /// </summary>
    /// <summary>A multi-label head: each label's threshold and average precision, then micro/macro F1, mAP and subset accuracy.</summary>
    private static void MultiLabelTable(StringBuilder html, MultiLabelEvaluation m)
    {
        var inv = CultureInfo.InvariantCulture;
        html.Append(inv, $"<h2>Multi-label</h2>\n<p id=\"multi-label\" data-micro-f1=\"{m.MicroF1:R}\" data-macro-f1=\"{m.MacroF1:R}\" data-map=\"{m.MeanAveragePrecision:R}\">micro-F1 <b>{m.MicroF1:F4}</b>, macro-F1 <b>{m.MacroF1:F4}</b>, mAP <b>{m.MeanAveragePrecision:F4}</b>; subset accuracy {m.SubsetAccuracy:P2} (the accuracy above).</p>\n");
        html.Append("<table id=\"labels\"><tr><th>label</th><th>threshold</th><th>average precision</th></tr>\n");
        for (int c = 0; c < m.PerLabel.Count; c++)
        {
            html.Append(inv, $"<tr data-label=\"{Encode(m.PerLabel[c].Class)}\"><td>{Encode(m.PerLabel[c].Class)}</td><td>{m.Thresholds[c]:F3}</td><td>{m.AveragePrecision[c]:F4}</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void ReliabilityDiagram(StringBuilder html, CalibrationReport c)
    {
        var inv = CultureInfo.InvariantCulture;
        const double size = 300, pad = 30;
        html.Append(inv, $"<h2>Calibration</h2>\n<p id=\"calibration\" data-temperature=\"{c.Temperature:R}\" data-ece-before=\"{c.ErrorBefore:R}\" data-ece-after=\"{c.ErrorAfter:R}\">");
        html.Append(inv, $"Expected calibration error (15 bins) {c.ErrorBefore:P2} before and {c.ErrorAfter:P2} after temperature scaling (T = {c.Temperature:F3}).</p>\n");
        html.Append(inv, $"<svg id=\"reliability\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{size + (2 * pad)}\" height=\"{size + (2 * pad)}\" role=\"img\" aria-label=\"reliability diagram\">\n");
        html.Append(inv, $"<rect x=\"{pad}\" y=\"{pad}\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#999\"/>\n");
        html.Append(inv, $"<line x1=\"{pad}\" y1=\"{pad + size}\" x2=\"{pad + size}\" y2=\"{pad}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n");
        for (int b = 0; b < c.BinsAfter.Count; b++)
        {
            var bin = c.BinsAfter[b];
            if (bin.Count == 0)
            {
                continue;
            }

            double x = pad + (bin.Low * size), w = (bin.High - bin.Low) * size, h = bin.Accuracy * size;
            html.Append(inv, $"<rect class=\"bin\" data-count=\"{bin.Count}\" data-confidence=\"{bin.Confidence:R}\" data-accuracy=\"{bin.Accuracy:R}\" x=\"{x:F1}\" y=\"{pad + size - h:F1}\" width=\"{w - 1:F1}\" height=\"{h:F1}\" fill=\"#4a90d9\"><title>{bin.Low:F2}–{bin.High:F2}: {bin.Count} images, accuracy {bin.Accuracy:P1}, confidence {bin.Confidence:P1}</title></rect>\n");
        }

        foreach (var bin in c.BinsBefore.Where(b => b.Count > 0))
        {
            html.Append(inv, $"<circle class=\"before\" cx=\"{pad + (bin.Confidence * size):F1}\" cy=\"{pad + size - (bin.Accuracy * size):F1}\" r=\"3\" fill=\"#d9534f\"/>\n");
        }

        html.Append(inv, $"<text x=\"{pad + (size / 2)}\" y=\"{size + (2 * pad) - 8}\" text-anchor=\"middle\" font-size=\"12\">confidence (bars: after, dots: before)</text>\n");
        html.Append(inv, $"<text x=\"12\" y=\"{pad + (size / 2)}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 12 {pad + (size / 2)})\">accuracy</text>\n</svg>\n");
    }

    private static string Encode(string text) => ReportPage.Encode(text);
}
