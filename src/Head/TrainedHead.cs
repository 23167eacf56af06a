using System.Text.Json;
using Pipeline.Extractor;
using Pipeline.Extractor.Cache;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Head;

/// <summary>What <c>head.json</c> records: enough to rebuild the head and to refuse features from another backbone.</summary>
public sealed record HeadManifest
{
    public string Format { get; init; } = "pipeline-head";

    public int FormatVersion { get; init; } = 1;

    public string ToolVersion { get; init; } = ToolInfo.Version;

    public required IReadOnlyList<string> Classes { get; init; }

    public required FeatureInfo Features { get; init; }

    public required BackboneInfo Backbone { get; init; }

    public required Preprocessing Preprocessing { get; init; }

    public required HeadOptions Options { get; init; }

    public required IReadOnlyList<EpochRecord> History { get; init; }

    public int BestEpoch { get; init; }

    public double TrainSeconds { get; init; }

    public int TrainImages { get; init; }

    /// <summary>Rows per image the training set holds (1 + augmented views).</summary>
    public int ViewsCached { get; init; } = 1;

    /// <summary>Rows per image each epoch used: 1 (one view drawn per image), or all of them.</summary>
    public int ViewsPerEpoch { get; init; } = 1;
}

/// <summary>A trained head with its manifest. Owns the TorchSharp module.</summary>
public sealed class TrainedHead : IDisposable
{
    public const string ManifestFile = "head.json";
    public const string WeightsFile = "weights.bin";
    public const string CurvesFile = "curves.png";

    internal TrainedHead(DenseHead model, CacheManifest cache, HeadOptions options, IReadOnlyList<EpochRecord> history, int bestEpoch, double seconds)
        : this(model, new HeadManifest
        {
            Classes = cache.Classes, Features = cache.Features, Backbone = cache.Backbone, Preprocessing = cache.Preprocessing,
            Options = options, History = history, BestEpoch = bestEpoch, TrainSeconds = seconds,
            TrainImages = cache.Items.Select(i => i.Path).Distinct(StringComparer.Ordinal).Count(),
        })
    {
    }

    private TrainedHead(DenseHead model, HeadManifest manifest)
    {
        Model = model;
        Manifest = manifest;
    }

    public DenseHead Model { get; }

    public HeadManifest Manifest { get; private set; }

    /// <summary>Set by the trainer: rows per image used each epoch.</summary>
    internal int ViewsPerImage
    {
        init => Manifest = Manifest with { ViewsPerEpoch = value };
    }

    /// <summary>Set by the trainer: rows per image the training cache holds.</summary>
    internal int ViewsCached
    {
        init => Manifest = Manifest with { ViewsCached = value };
    }

    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        Model.save(Path.Combine(dir, WeightsFile));
        File.WriteAllBytes(Path.Combine(dir, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(Manifest, CacheManifest.Json));
        Curves.Save(Manifest.History, Manifest.BestEpoch, Path.Combine(dir, CurvesFile));
    }

    public static TrainedHead Load(string dir, string device = "auto")
    {
        string path = Path.Combine(dir, ManifestFile);
        if (!File.Exists(path) || !File.Exists(Path.Combine(dir, WeightsFile)))
        {
            throw new PipelineException($"head '{dir}': no {ManifestFile} and {WeightsFile} here", "train one with 'train --cache CACHE --out HEAD'", ExitCode.BadArgument);
        }

        HeadManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<HeadManifest>(File.ReadAllBytes(path), CacheManifest.Json)
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new PipelineException($"head '{dir}': {ManifestFile} is not valid ({e.Message})", "train the head again", ExitCode.BadArgument);
        }

        var model = new DenseHead(manifest.Features.Length, manifest.Options.Hidden, manifest.Options.Dropout, manifest.Classes.Count);
        try
        {
            model.load(Path.Combine(dir, WeightsFile));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
        {
            model.Dispose();
            throw new PipelineException($"head '{dir}': {WeightsFile} does not match {ManifestFile} ({e.Message})", "train the head again with this version of the tool", ExitCode.BadArgument);
        }

        model.to(TorchDevice.Choose(device));
        model.eval();
        return new TrainedHead(model, manifest);
    }

    /// <summary>Refuses features made by another backbone or preprocessing, naming both.</summary>
    public void CheckCompatible(CacheManifest cache, string cacheDir)
    {
        if (cache.Backbone.Sha256 != Manifest.Backbone.Sha256 || cache.Backbone.FeatureTensor != Manifest.Backbone.FeatureTensor)
        {
            throw new PipelineException($"cache '{cacheDir}' holds features of {cache.Backbone.Describe()}, the head was trained on {Manifest.Backbone.Describe()}",
                "extract the images with the head's backbone (the one in head.json), or train a head on this cache", ExitCode.CacheMismatch);
        }

        if (!cache.Preprocessing.SameAs(Manifest.Preprocessing))
        {
            throw new PipelineException($"cache '{cacheDir}' was preprocessed '{cache.Preprocessing.Describe()}', the head expects '{Manifest.Preprocessing.Describe()}'",
                "extract again with the head's preprocessing", ExitCode.CacheMismatch);
        }

        if (!cache.Classes.SequenceEqual(Manifest.Classes))
        {
            throw new PipelineException($"cache '{cacheDir}' has classes [{string.Join(", ", cache.Classes)}], the head [{string.Join(", ", Manifest.Classes)}]",
                "extract from a dataset with the same class folders", ExitCode.CacheMismatch);
        }
    }

    /// <summary>Class probabilities (n, classes) for n feature rows (n, F).</summary>
    public float[] Probabilities(ReadOnlySpan<float> features, int n)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var device = Model.parameters().First().device;
        var x = tensor(features[..(n * Manifest.Features.Length)].ToArray(), [n, Manifest.Features.Length], ScalarType.Float32).to(device);
        var p = nn.functional.softmax(Model.forward(x), 1).cpu();
        return p.data<float>().ToArray();
    }

    public void Dispose() => Model.Dispose();
}
