using Microsoft.ML.OnnxRuntime;
using Onnx;
using Pipeline.Extractor.Cache;
using Pipeline.Extractor.Platform;
using Pipeline.Extractor.Onnx;

namespace Pipeline.Extractor.Backbones;

internal sealed partial class Backbone
{
    /// <summary>Loads a preset or ONNX file on the asked device; every failure names the file and the remedy.</summary>
    public static Backbone Load(BackboneSpec spec, Action<string>? info = null)
    {
        if (spec.Precision == Precision.Int8)
        {
            return LoadInt8(spec, info);
        }

        var backbone = LoadAsSpecified(spec, info);
        if (spec.Pool is null && backbone.Info.Pool is null && BackbonePreset.Find(spec.Backbone) is null && DefaultPool(backbone.FeatureShape) is { } byDefault)
        {
            // Any other model whose features are a spatial map: Keras applications' pooling='avg' (README, "Pooling");
            // a token sequence: its class token. (Its messages were said by the first load.)
            var pooled = LoadAsSpecified(spec with { Pool = byDefault }, null);
            info?.Invoke(DefaultPoolMessage(byDefault, backbone, pooled));
            backbone.Dispose();
            return pooled;
        }

        return backbone;
    }

    private static Backbone LoadAsSpecified(BackboneSpec spec, Action<string>? info)
    {
        _ = OrtSetup.Environment;
        var graph = Prepare(spec, info);
        var (options, device, cuda) = CreateOptions(spec, info);
        var (model, meanImage) = RunnableModel(spec, graph, cuda, info);
        if (spec.Precision == Precision.Tf32 && !cuda)
        {
            info?.Invoke("precision: tf32 is a CUDA tensor-core mode; the CPU computes in fp32");
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(Serialize(model), options);
        }
        catch (OnnxRuntimeException e)
        {
            options.Dispose();
            Throw.BadModel(graph.File, $"ONNX Runtime cannot load it ({FirstLine(e.Message)})", "check the file is a complete ONNX model", e);
            return null;
        }

        options.Dispose();
        var p = graph.Preprocessing;
        var featureShape = FeatureShapeOf(session, graph.Info.FeatureTensor)
            ?? new Backbone(session, graph.Info, p, meanImage, graph.InputName, [1], device, cuda).ProbeFeatureShape(graph.InputName);
        CheckPooled(graph.Info.Pool, featureShape, graph.File);
        long[] oneImage = p.Layout == TensorLayout.Nchw ? [1, 3, p.Height, p.Width] : [1, p.Height, p.Width, 3];
        var backbone = new Backbone(session, graph.Info, p, meanImage, graph.InputName, featureShape, device, cuda)
        {
            Threads = CpuBudget.InferenceThreads(spec.Threads),
            GflopsPerImage = p.Layout == TensorLayout.Nchw ? OnnxFlops.Gflops(graph.Model, graph.InputName, oneImage) : double.NaN,
        };
        if (graph.Info.Synthetic)
        {
            info?.Invoke($"warning: '{graph.Info.File}' is a synthetic model with random weights: its features are for speed tests only, never for accuracy");
        }

        return backbone;
    }

    /// <summary>
    /// The graph as it will run: cut at the feature tensor, batch made dynamic; with its identity
    /// (file hash) and preprocessing. Used by <see cref="Load"/> and by the classifier export.
    /// </summary>
    internal static PreparedGraph Prepare(BackboneSpec spec, Action<string>? info = null)
    {
        var (preset, file) = ResolveModel(spec);
        if (!File.Exists(file))
        {
            Throw.BadModel(file, "no such file", preset?.Name == "vgg16"
                ? "bring a VGG16 ONNX file as the vgg16 preset's model file, or make a random-weight stand-in with 'models synth vgg16'"
                : "name the resnet18 preset or the path of an existing .onnx file");
        }

        byte[] original = File.ReadAllBytes(file);
        ModelProto model = OnnxGraph.Parse(original, file);
        var input = OnnxGraph.RealInputs(model.Graph).FirstOrDefault()
            ?? throw new ModelFileException(file, "graph has no input", "use an image model");
        var meta = PipelineMetadata.Read(model, file);
        string featureTensor = ChooseFeatureTensor(preset, model, meta, file, info);
        if (model.Graph.Output.Count != 1 || model.Graph.Output[0].Name != featureTensor)
        {
            model = OnnxGraph.Cut(model, featureTensor, file);
        }

        var pool = spec.Pool ?? meta.Pool;
        featureTensor = FeaturePool.Append(model, featureTensor, pool);

        OnnxGraph.MakeBatchDynamic(model);
        var preprocessing = ChoosePreprocessing(preset, spec, meta, input, file) with { Resize = spec.Resize ?? preset?.Preprocessing.Resize ?? meta.Resize ?? ResizeMode.Squash };
        float[]? meanImage = null;
        if (preset?.MeanImageFile is { } meanFile)
        {
            meanImage = OnnxGraph.ReadInitializer(ToolPath(meanFile), preset.MeanImageTensor!);
            preprocessing = preprocessing with { MeanImageSha256 = Sha256.Hex(System.Runtime.InteropServices.MemoryMarshal.AsBytes(meanImage.AsSpan())) };
        }

        var identity = new BackboneInfo
        {
            Name = preset?.Name ?? Path.GetFileNameWithoutExtension(file), File = Path.GetFileName(file), Sha256 = Sha256.Hex(original),
            FeatureTensor = featureTensor, Synthetic = OnnxGraph.IsSynthetic(model),
            Precision = spec.Precision == Precision.Fp32 ? null : spec.Precision,
            Pool = pool is Pooling.Flatten ? null : pool,
        };
        return new PreparedGraph(model, file, input.Name, identity, preprocessing, meanImage);
    }

    private static (BackbonePreset? Preset, string File) ResolveModel(BackboneSpec spec)
    {
        var preset = BackbonePreset.Find(spec.Backbone);
        if (preset is null)
        {
            if (!spec.Backbone.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && !File.Exists(spec.Backbone))
            {
                Throw.InvalidSetting("backbone", spec.Backbone, $"a preset ({string.Join(", ", BackbonePreset.All.Select(p => p.Name))}) or an .onnx file");
            }

            return (null, Path.GetFullPath(spec.Backbone));
        }

        if (spec.Model is not null)
        {
            return (preset, Path.GetFullPath(spec.Model));
        }

        if (preset.ModelFile is null)
        {
            throw InvalidSettingException.Missing("model", $"the {preset.Name} preset needs its model file", $"the path of a {preset.Name} ONNX file (onnx-models/README.md says where to get one)");
        }

        return (preset, ToolPath(preset.ModelFile));
    }

    private static string ChooseFeatureTensor(BackbonePreset? preset, ModelProto model, PipelineMetadata meta, string file, Action<string>? info)
    {
        var names = OnnxGraph.TensorNames(model.Graph).ToHashSet(StringComparer.Ordinal);
        if (preset?.FeatureTensor is { } t && names.Contains(t))
        {
            return t;
        }

        if (preset is null && meta.FeatureTensor is { } own)
        {
            return names.Contains(own) ? own
                : throw new ModelFileException(file, $"metadata {PipelineMetadata.FeatureTensorKey} names '{own}', which the graph does not have", "fix or remove that metadata key");
        }

        if (preset?.Name == "vgg16" && model.Graph.Output.Count == 1)
        {
            // A full VGG16 classifier: cut at the last max-pool (pool5), the conv base's output.
            var lastPool = model.Graph.Node.LastOrDefault(n => n.OpType == "MaxPool");
            bool isConvBase = model.Graph.Node.Last().OpType == "MaxPool";
            if (!isConvBase && lastPool is not null)
            {
                return lastPool.Output[0];
            }
        }

        if (preset?.FeatureTensor is { } missing)
        {
            Throw.BadModel(file, $"has no tensor '{missing}' that the {preset.Name} preset reads", "use the model file this preset expects");
        }

        if (preset is null && CutPoints.Classifier(model) is { } classifier && CutPoints.Find(model).FirstOrDefault(c => c.Kind is CutKind.LastFeatureMap or CutKind.TokenSequence) is { } map)
        {
            // A full classifier: Keras' include_top=False, the last feature map before it.
            info?.Invoke($"features: '{Path.GetFileName(file)}' ends in a classifier ({classifier.OpType} '{classifier.Name}'); reading the last feature map before it, '{map.Tensor}' ('models cut --at' another tensor to choose)");
            return map.Tensor;
        }

        return model.Graph.Output[0].Name;
    }

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
        return chosen with
        {
            Mean = (spec.Mean ?? meta.Mean ?? chosen.Mean).ToArray(),
            Std = (spec.Std ?? meta.Std ?? chosen.Std).ToArray(),
            Scale = spec.Scale ?? meta.Scale ?? chosen.Scale,
            ColorOrder = spec.Channels ?? meta.Channels ?? chosen.ColorOrder,
        };
    }

    private static PreprocessMode Canonical(PreprocessMode mode) => mode == PreprocessMode.ImageNet ? PreprocessMode.Torch : mode;

    private static IReadOnlyList<int>? FeatureShapeOf(InferenceSession session, string tensor)
    {
        var meta = session.OutputMetadata[tensor];
        var dims = meta.Dimensions.Skip(1).ToArray();
        return dims.Length > 0 && dims.All(d => d > 0) ? dims : null;
    }

    private int[] ProbeFeatureShape(string inputName)
    {
        long[] shape = (long[])_inputShape.Clone();
        using var input = OrtValue.CreateTensorValueFromMemory(new float[InputLength], shape);
        using var outputs = _session.Run(_runOptions, [inputName], [input], _outputNames);
        return outputs[0].GetTensorTypeAndShape().Shape.Skip(1).Select(d => (int)d).ToArray();
    }

    private static (SessionOptions Options, string Device, bool Cuda) CreateOptions(BackboneSpec spec, Action<string>? info)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = CpuBudget.InferenceThreads(spec.Threads),   // never ORT's 0: see CpuBudget
        };

        // ONNX Runtime's pool threads spin between operators by default, at normal priority, taking the
        // gaps the decode workers (nice 10) would fill. Not spinning: end to end / inference alone 0.918
        // (0.913, 0.922, 0.918) against 0.901 (0.913, 0.901, 0.896) spinning, inference alone unchanged
        // (2 vCPU AMD EPYC, alternating A/B; 1 core: 0.859/0.868 against 0.855/0.866).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (spec.ProfilePrefix is { } prefix)
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = prefix;
        }

        if (spec.Device.Kind == DeviceKind.Cpu)
        {
            return (options, CpuDescription(spec), false);
        }

        int id = spec.Device.Index;
        try
        {
            // TF32 only when asked: ONNX Runtime's CUDA default is on, which would make "fp32" features TF32 ones.
            using var cudaOptions = new OrtCUDAProviderOptions();
            cudaOptions.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["use_tf32"] = spec.Precision == Precision.Tf32 ? "1" : "0",
                ["cudnn_conv_algo_search"] = "EXHAUSTIVE",   // one search per shape; every batch after it reuses the fastest kernel
            });
            options.AppendExecutionProvider_CUDA(cudaOptions);
            info?.Invoke($"device: CUDA device {id}");
            return (options, $"CUDA device {id}", true);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            string reason = CudaProbe.Diagnose();
            if (spec.Device.IsExplicitCuda)
            {
                options.Dispose();
                Throw.DeviceUnavailable(spec.Device.ToString(), reason,
                    "install the CUDA 13 runtime and cuDNN 9 (libcudart, libcublas, libcudnn) on the library path", e);
            }

            string cpu = CpuDescription(spec);
            info?.Invoke($"device: {cpu} (CUDA not available: {reason})");
            return (options, cpu, false);
        }
    }

    private static string CpuDescription(BackboneSpec spec) =>
        $"CPU ({CpuBudget.InferenceThreads(spec.Threads)} threads{(spec.Threads > 0 ? "" : $" = {CpuBudget.Source}")})";

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
