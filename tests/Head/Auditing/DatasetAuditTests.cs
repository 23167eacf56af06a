using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Head.Auditing;

/// <summary>
/// The audit on a dirty copy of the shared photos made in the test, through the real ResNet18: 12 training
/// photos filed under the wrong class, 8 training photos re-encoded at quality 75 and shrunk to 80 % into the
/// test split (leaks),
/// and 3 images that are no animal at all. Recall and precision are asserted with room for the real set's own
/// hard photos, as the accuracy tests do.
/// </summary>
public sealed class DatasetAuditTests
{
    [Fact]
    public void FindsPlantedFlipsLeaksAndNonAnimals()
    {
        using var tmp = new TempDir();
        string data = tmp.Sub("data");
        var flips = new HashSet<string>(StringComparer.Ordinal);
        foreach (var split in new[] { "train/cat", "train/dog", "test/cat", "test/dog" })
        {
            Directory.CreateDirectory(Path.Combine(data, split));
        }

        foreach (var cls in new[] { "cat", "dog" })
        {
            string other = cls == "cat" ? "dog" : "cat";

            for (int i = 1; i <= 200; i++)
            {
                // Photos 1–6 of each class are filed under the other class: 12 flips.
                string folder = i <= 6 ? other : cls;
                File.Copy(TestPaths.Photo("train", cls, i), Path.Combine(data, "train", folder, $"{cls}.{i}.jpg"));
                if (i <= 6)
                {
                    flips.Add($"{folder}/{cls}.{i}.jpg");
                }
            }

            for (int i = 4001; i <= 4060; i++)
            {
                File.Copy(TestPaths.Photo("test", cls, i), Path.Combine(data, "test", cls, $"{cls}.{i}.jpg"));
            }

            for (int i = 101; i <= 104; i++)
            {
                // 8 leaks: a training photo re-encoded at quality 75 and shrunk to 80 % in the test split.
                var size = BadImages.DecodeFull(TestPaths.Photo("train", cls, i));
                BadImages.Reencode(TestPaths.Photo("train", cls, i), Path.Combine(data, "test", cls, $"copy-of-{cls}.{i}.jpg"), "JPEG", size.Width * 4 / 5, size.Height * 4 / 5, 75);
            }
        }

        BadImages.Pillow("""
            import sys
            from PIL import Image, ImageDraw
            w = Image.new("RGB", (400, 300), "white"); d = ImageDraw.Draw(w)
            for y in range(20, 280, 18): d.text((20, y), "Invoice 2026-12-03  total 1,234.56  thank you for your order", fill="black")
            w.save(sys.argv[1] + "/scan.jpg", quality=90)
            g = Image.linear_gradient("L").resize((400, 300)).convert("RGB"); g.save(sys.argv[1] + "/gradient.jpg", quality=90)
            c = Image.new("RGB", (400, 300)); d = ImageDraw.Draw(c)
            for x in range(0, 400, 40):
                for y in range(0, 300, 40):
                    if (x // 40 + y // 40) % 2: d.rectangle([x, y, x + 39, y + 39], fill=(255, 0, 0))
            c.save(sys.argv[1] + "/checkerboard.jpg", quality=90)
            """, Path.Combine(data, "train", "cat"));

        var pipeline = new TransferLearning { Backbone = new BackboneSpec { Device = DeviceRequest.Cpu }, HeadOptions = new HeadOptions { Device = DeviceRequest.Cpu } };
        pipeline.Extract(data, tmp.Sub("cache"));
        var report = pipeline.Audit(tmp.Sub("cache"));

        var first = report.LabelSuspects.Take(24).Select(s => s.Path).ToList();
        int found = first.Count(flips.Contains);
        Assert.True(found >= 10, $"{found} of 12 flips among the first 24 suspects: {string.Join(", ", first)}");
        Assert.All(report.LabelSuspects.Where(s => flips.Contains(s.Path)), s => Assert.NotEqual(s.Label, s.Predicted));
        int planted = report.LabelSuspects.Take(12).Count(s => flips.Contains(s.Path) || s.Path.StartsWith("cat/scan", StringComparison.Ordinal) || s.Path.Contains("gradient") || s.Path.Contains("checkerboard"));
        Assert.True(planted >= 8, $"precision: {planted} of the first 12 suspects planted");

        int leaks = 0;
        foreach (var cls in new[] { "cat", "dog" })
        {
            for (int i = 101; i <= 104; i++)
            {
                var paths = new[] { ("train", $"{cls}/{cls}.{i}.jpg"), ("test", $"{cls}/copy-of-{cls}.{i}.jpg") };
                leaks += report.Duplicates.Any(g => g.Leak && paths.All(p => g.Items.Contains(new AuditItem(p.Item1, p.Item2)))) ? 1 : 0;
            }
        }

        Assert.True(leaks >= 7, $"{leaks} of 8 copies found as leaks");
        Assert.True(report.Duplicates.Count <= 16, $"{report.Duplicates.Count} duplicate groups in all");
        Assert.True(report.Duplicates.TakeWhile(g => g.Leak).Count() == report.Duplicates.Count(g => g.Leak), "leaks come first");

        var outliers = report.Outliers.Take(10).Select(o => o.Path).ToList();
        int strange = new[] { "cat/scan.jpg", "cat/gradient.jpg", "cat/checkerboard.jpg" }.Count(outliers.Contains);
        Assert.True(strange >= 2, $"{strange} of 3 non-animal images among the first 10 outliers: {string.Join(", ", outliers)}");

        // The JSON a script reads: exactly the three lists, with the issue's field names.
        var json = JsonSerializer.Serialize(new { report.LabelSuspects, report.Duplicates, report.Outliers }, JsonFormats.Indented);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(["labelSuspects", "duplicates", "outliers"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["split", "path", "label", "predicted", "score"], doc.RootElement.GetProperty("labelSuspects")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["similarity", "items", "leak"], doc.RootElement.GetProperty("duplicates")[0].EnumerateObject().Select(p => p.Name));
    }
}
