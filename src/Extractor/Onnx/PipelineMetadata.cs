using System.Globalization;
using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// The keys a model's own ONNX metadata (<c>metadata_props</c>) may carry so that it needs no flags, and that
/// every model this tool writes carries (cut, synth, the exported classifier):
/// <c>pipeline.preprocess</c> (caffe, tf, torch, imagenet or unit), <c>pipeline.mean</c> and <c>pipeline.std</c>
/// ("a,b,c", model channel order), <c>pipeline.scale</c>, <c>pipeline.channels</c> (rgb or bgr),
/// <c>pipeline.resize</c> (squash or crop), <c>pipeline.feature_tensor</c> and <c>pipeline.pool</c> (flatten, avg or max);
/// a quantized model adds <c>pipeline.quantization</c> (how it was made, for people: the tool reads nothing from it).
/// </summary>
internal sealed record PipelineMetadata
{
    public const string PreprocessKey = "pipeline.preprocess";
    public const string MeanKey = "pipeline.mean";
    public const string StdKey = "pipeline.std";
    public const string ScaleKey = "pipeline.scale";
    public const string ChannelsKey = "pipeline.channels";
    public const string FeatureTensorKey = "pipeline.feature_tensor";
    public const string PoolKey = "pipeline.pool";
    public const string ResizeKey = "pipeline.resize";
    public const string QuantizationKey = "pipeline.quantization";

    public PreprocessMode? Preprocess { get; init; }

    public IReadOnlyList<float>? Mean { get; init; }

    public IReadOnlyList<float>? Std { get; init; }

    public float? Scale { get; init; }

    public ColorOrder? Channels { get; init; }

    public string? FeatureTensor { get; init; }

    public Pooling? Pool { get; init; }

    public ResizeMode? Resize { get; init; }

    /// <summary>How a quantized model was made (scheme, calibration images); a record for people.</summary>
    public string? Quantization { get; init; }

    /// <summary>The keys present in <paramref name="model"/>; a value that does not parse is refused naming the key and the file.</summary>
    public static PipelineMetadata Read(ModelProto model, string file)
    {
        var props = model.MetadataProps.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        T? Parse<T>(string key, Func<string, T> parse) where T : struct
        {
            if (!props.TryGetValue(key, out var text))
            {
                return null;
            }

            try
            {
                return parse(text);
            }
            catch (Exception e) when (e is InvalidSettingException or FormatException)
            {
                throw new ModelFileException(file, $"metadata {key} '{text}' cannot be read ({e.Message})", "fix or remove that metadata key, or pass the setting as a flag");
            }
        }

        return new PipelineMetadata
        {
            Preprocess = Parse(PreprocessKey, t => SettingNames.Parse<PreprocessMode>(PreprocessKey, t)),
            Channels = Parse(ChannelsKey, t => SettingNames.Parse<ColorOrder>(ChannelsKey, t)),
            Pool = Parse(PoolKey, t => SettingNames.Parse<Pooling>(PoolKey, t)),
            Resize = Parse(ResizeKey, t => SettingNames.Parse<ResizeMode>(ResizeKey, t)),
            Scale = Parse(ScaleKey, t => float.Parse(t, CultureInfo.InvariantCulture)),
            Mean = props.TryGetValue(MeanKey, out var mean) ? ChannelValues(MeanKey, mean, file) : null,
            Std = props.TryGetValue(StdKey, out var std) ? ChannelValues(StdKey, std, file) : null,
            FeatureTensor = props.GetValueOrDefault(FeatureTensorKey),
            Quantization = props.GetValueOrDefault(QuantizationKey),
        };
    }

    /// <summary>Writes these keys into <paramref name="model"/>, replacing older ones; a null value writes no key.</summary>
    public void WriteTo(ModelProto model)
    {
        static string? List(IReadOnlyList<float>? v) => v is null ? null : string.Join(",", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        var values = new Dictionary<string, string?>
        {
            [PreprocessKey] = Preprocess is { } m ? SettingNames.Of(m) : null,
            [MeanKey] = List(Mean),
            [StdKey] = List(Std),
            [ScaleKey] = Scale?.ToString("R", CultureInfo.InvariantCulture),
            [ChannelsKey] = Channels is { } c ? SettingNames.Of(c) : null,
            [FeatureTensorKey] = FeatureTensor,
            [PoolKey] = Pool is { } pl ? SettingNames.Of(pl) : null,
            [ResizeKey] = Resize is { } r ? SettingNames.Of(r) : null,
            [QuantizationKey] = Quantization,
        };
        foreach (var (key, value) in values)
        {
            foreach (var old in model.MetadataProps.Where(x => x.Key == key).ToList())
            {
                model.MetadataProps.Remove(old);
            }

            if (value is not null)
            {
                model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
            }
        }
    }

    /// <summary>The keys a backbone spec sets (mode, values, pooling): what a cut model records so it needs no flags.</summary>
    public static PipelineMetadata Of(BackboneSpec spec, string? featureTensor) => new()
    {
        Preprocess = spec.Preprocess, Mean = spec.Mean, Std = spec.Std, Scale = spec.Scale, Channels = spec.Channels, Pool = spec.Pool, FeatureTensor = featureTensor,
    };

    /// <summary>
    /// The values of a backbone's preprocessing itself (no mode name: mean, std, scale, channel order, resize), for a model
    /// the tool writes from a backbone it ran; a per-pixel mean image cannot be written as keys, so that model must carry it in its graph.
    /// </summary>
    public static PipelineMetadata Of(Preprocessing p, string featureTensor, Pooling? pool = null) => new()
    {
        Mean = p.Mean, Std = p.Std, Scale = p.Scale, Channels = p.ColorOrder, Resize = p.Resize, FeatureTensor = featureTensor, Pool = pool,
    };

    /// <summary>A metadata mean or std in the one channel-values grammar; a value that does not parse names the key and the file.</summary>
    private static float[] ChannelValues(string key, string text, string file)
    {
        try
        {
            return SettingNames.ChannelValues(key, text);
        }
        catch (InvalidSettingException e)
        {
            throw new ModelFileException(file, $"metadata {key} '{text}' is not {e.Expected}", "fix or remove that metadata key");
        }
    }
}
