// ML.NET's own image featurization pipeline with the same packaged ResNet18: what a .NET user
// would write instead of our extract. Prints images/s of featurizing the given files.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: MlNetBaseline DIR [MAX_IMAGES]");
    return 2;
}

var files = Directory.EnumerateFiles(args[0], "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
    .Take(args.Length > 1 ? int.Parse(args[1]) : int.MaxValue).ToList();
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(files.Select(f => new ImageInput { ImagePath = f }));
var pipeline = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: nameof(ImageInput.ImagePath))
    .Append(ml.Transforms.ResizeImages("Image", 224, 224, "Image"))
    .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
    .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));

var model = pipeline.Fit(ml.Data.LoadFromEnumerable(files.Take(2).Select(f => new ImageInput { ImagePath = f })));
// warm-up on two images, then the timed pass over all of them
_ = model.Transform(ml.Data.LoadFromEnumerable(files.Take(2).Select(f => new ImageInput { ImagePath = f }))).GetColumn<float[]>("Features").ToList();
var clock = Stopwatch.StartNew();
int n = 0;
foreach (var row in model.Transform(data).GetColumn<float[]>("Features"))
{
    n += row.Length > 0 ? 1 : 0;
}

double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"{{\"tool\": \"mlnet-dnnfeaturizeimage-resnet18\", \"images\": {n}, \"seconds\": {seconds:F3}, \"images_per_second\": {n / seconds:F2}}}");
return 0;

internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
}
