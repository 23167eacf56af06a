using Onnx;

namespace Pipeline.Extractor.Backbones;

internal sealed partial class Backbone
{
    private static Preprocessing ChoosePreprocessing(BackbonePreset? preset, BackboneSpec spec, PipelineMetadata meta, ValueInfoProto input, string file)
    {
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (dims.Length != 4)
        {
            Throw.BadModel(file, $"input '{input.Name}' has {dims.Length} dimensions, expected an image batch (N, 3, H, W) or (N, H, W, 3)", "use an image model");
        }

        if (dims[1] != 3 && dims[3] != 3)
        {
            Throw.BadModel(file, $"input '{input.Name}' shape ({string.Join(", ", dims)}) has no 3-channel axis", "use an RGB image model");
        }

        TensorLayout layout = dims[1] == 3 ? TensorLayout.Nchw : TensorLayout.Nhwc;

        int h = (int)(layout == TensorLayout.Nchw ? dims[2] : dims[1]);
        int w = (int)(layout == TensorLayout.Nchw ? dims[3] : dims[2]);
        h = h > 0 ? h : 224;
        w = w > 0 ? w : 224;
        if (spec.Preprocess is { } asked && meta.Preprocess is { } own && Canonical(asked) != Canonical(own))
        {
            throw new InvalidSettingException("preprocess", SettingNames.Of(asked),
                $"{SettingNames.Of(own)}, what the model's own metadata ({PipelineMetadata.PreprocessKey}) says; drop the preprocess setting to use it");
        }

        var mode = spec.Preprocess ?? meta.Preprocess;
        bool custom = spec.Mean is not null || spec.Std is not null || spec.Scale is not null || spec.Channels is not null
            || meta.Mean is not null || meta.Std is not null || meta.Scale is not null || meta.Channels is not null;
        Preprocessing? chosen = mode is { } m ? BackbonePreset.Presets.Of(m, w, h, layout) : null;
        if (chosen is null && preset is not null)
        {
            var p = preset.Preprocessing;
            if (p.Layout != layout || p.Width != w || p.Height != h)
            {
                Throw.BadModel(file, $"input '{input.Name}' is ({string.Join(", ", dims)}), the {preset.Name} preset expects {p.Layout} {p.Height}x{p.Width}",
                    $"use a {preset.Name} model, or load the file as a plain .onnx backbone with its preprocessing named ({SettingNames.Choices<PreprocessMode>()})");
            }

            if (!custom)
            {
                return p;
            }

            chosen = p;
        }

        // A head's plain .onnx backbone: the preprocessing the head recorded.
        if (chosen is null && !custom && spec.Expected is { } expected && expected.Width == w && expected.Height == h && expected.Layout == layout)
        {
            return expected;
        }

        if (chosen is null && !custom)
        {
            throw InvalidSettingException.Missing("preprocess", $"model '{file}' is not a preset and its metadata has no {PipelineMetadata.PreprocessKey}, so its preprocessing is unknown",
                "caffe (Keras VGG16/ResNet50: BGR, mean subtracted), tf (Keras MobileNet/Inception: [-1, 1]), torch or imagenet (torchvision: mean/std), or unit ([0, 1]); or the values themselves (mean, std, scale, channels)");
        }

        chosen ??= BackbonePreset.Presets.Unit(w, h, layout);
        CheckStd(spec, meta, file);
        return chosen with
        {
            Mean = (spec.Mean ?? meta.Mean ?? chosen.Mean).ToArray(),
            Std = (spec.Std ?? meta.Std ?? chosen.Std).ToArray(),
            Scale = spec.Scale ?? meta.Scale ?? chosen.Scale,
            ColorOrder = spec.Channels ?? meta.Channels ?? chosen.ColorOrder,
        };
    }

    /// <summary>A standard deviation of zero (or not a finite number) divides every pixel into infinity: refused where it was written.</summary>
    private static void CheckStd(BackboneSpec spec, PipelineMetadata meta, string file)
    {
        static bool Bad(IReadOnlyList<float>? std) => std is not null && std.Any(s => s == 0 || !float.IsFinite(s));
        if (Bad(spec.Std))
        {
            Throw.InvalidSetting("std", string.Join(",", spec.Std!), "three finite standard deviations above zero (torchvision's: 0.229,0.224,0.225)");
        }

        if (spec.Std is null && Bad(meta.Std))
        {
            Throw.BadModel(file, $"metadata {PipelineMetadata.StdKey} '{string.Join(",", meta.Std!)}' has a standard deviation of zero (or not a number): every pixel would be divided into infinity",
                $"fix that metadata key (torchvision's values are 0.229,0.224,0.225), or pass the std setting");
        }
    }

    private static PreprocessMode Canonical(PreprocessMode mode) => mode == PreprocessMode.ImageNet ? PreprocessMode.Torch : mode;
}
