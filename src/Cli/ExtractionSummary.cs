using Spectre.Console;

namespace Pipeline.Cli;

internal static class ExtractionSummary
{
    public static void Print(ExtractionReport report, bool json)
    {
        if (json)
        {
            Output.WriteJson(report);
            return;
        }

        var table = Output.Table("split", "rows", "computed", "reused", "skipped", "img/s", "read s", "decode s", "resize s", "infer s", "write s");
        foreach (var s in report.Splits)
        {
            table.AddRow(s.Split.Length > 0 ? s.Split : "-", $"{s.Images}", $"{s.Computed}", $"{s.Reused}", $"{s.Skipped.Count}", $"{s.ImagesPerSecond:F1}",
                $"{s.Stages.Read:F2}", $"{s.Stages.Decode:F2}", $"{s.Stages.Preprocess:F2}", $"{s.Stages.Inference:F2}", $"{s.Stages.Write:F2}");
        }

        Output.Write(table);
        Console.Out.WriteLine($"backbone {report.Backbone.Describe()}{(report.Backbone.Synthetic ? " [synthetic: random weights]" : "")} on {report.Device}, batch {report.Batch}, {report.Workers} decode workers");
        Console.Out.WriteLine($"{report.Computed} images in {report.Seconds:F1} s: {report.ImagesPerSecond:F1} img/s; cache: {report.Cache}");
        foreach (var s in report.Splits)
        {
            foreach (var skip in s.Skipped)
            {
                Console.Out.WriteLine($"skipped {Path.Combine(s.Split, skip.Path)}: {skip.Reason}");
            }
        }
    }
}
