using Microsoft.ML.OnnxRuntime;
using Onnx;
using Pipeline.Extractor.Cache;
using Pipeline.Extractor.Internals;
using Pipeline.Extractor.Onnx;

namespace Pipeline.Extractor;

public sealed partial class Backbone
{
    /// <summary>Loads a preset or ONNX file on the asked device; every failure names the file and the remedy.</summary>
    public static Backbone Load(BackboneSpec spec, Action<string>? info = null)
    {
        _ = OrtSetup.Environment;
        var graph = Prepare(spec);
        var (options, device) = CreateOptions(spec, info);
        InferenceSession session;
        try
        {
            session = new InferenceSession(Serialize(graph.Model), options);
        }
        catch (OnnxRuntimeException e)
        {
            options.Dispose();
            Throw.BadModel(graph.File, $"ONNX Runtime cannot load it ({FirstLine(e.Message)})", "check the file is a complete ONNX model; see onnx-models/README.md", e);
            return null;
        }

        options.Dispose();
        var p = graph.Preprocessing;
        var featureShape = FeatureShapeOf(session, graph.Info.FeatureTensor)
            ?? new Backbone(session, graph.Info, p, graph.MeanImage, graph.InputName, [1], device).ProbeFeatureShape(graph.InputName);
        long[] oneImage = p.Layout == TensorLayout.Nchw ? [1, 3, p.Height, p.Width] : [1, p.Height, p.Width, 3];
        var backbone = new Backbone(session, graph.Info, p, graph.MeanImage, graph.InputName, featureShape, device)
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
    internal static PreparedGraph Prepare(BackboneSpec spec)
    {
        var (preset, file) = ResolveModel(spec);
        if (!File.Exists(file))
        {
            Throw.BadModel(file, "no such file", preset?.Name == "vgg16"
                ? "bring a VGG16 ONNX file (see onnx-models/README.md) and pass --model FILE, or 'models synth vgg16' for a random-weight stand-in"
                : "pass --backbone resnet18 or the path of an .onnx file");
        }

        byte[] original = File.ReadAllBytes(file);
        ModelProto model = OnnxGraph.Parse(original, file);
        var input = OnnxGraph.RealInputs(model.Graph).FirstOrDefault()
            ?? throw new PipelineException($"model '{file}': graph has no input", "pass an image model", ExitCode.BadModel);
        string featureTensor = ChooseFeatureTensor(preset, model, file);
        if (model.Graph.Output.Count != 1 || model.Graph.Output[0].Name != featureTensor)
        {
            model = OnnxGraph.Cut(model, featureTensor, file);
        }

        OnnxGraph.MakeBatchDynamic(model);
        var preprocessing = ChoosePreprocessing(preset, spec, input, file) with { Resize = spec.Resize ?? preset?.Preprocessing.Resize ?? ResizeMode.Squash };
        float[]? meanImage = null;
        if (preset?.MeanImageFile is { } meanFile)
        {
            meanImage = OnnxGraph.ReadInitializer(ToolPath(meanFile), preset.MeanImageTensor!);
            preprocessing = preprocessing with { MeanImageSha256 = Sha256Hex(System.Runtime.InteropServices.MemoryMarshal.AsBytes(meanImage.AsSpan()).ToArray()) };
        }

        var info = new BackboneInfo
        {
            Name = preset?.Name ?? Path.GetFileNameWithoutExtension(file), File = Path.GetFileName(file), Sha256 = Sha256Hex(original),
            FeatureTensor = featureTensor, Synthetic = OnnxGraph.IsSynthetic(model),
        };
        return new PreparedGraph(model, file, input.Name, info, preprocessing, meanImage);
    }

    private static (BackbonePreset? Preset, string File) ResolveModel(BackboneSpec spec)
    {
        var preset = BackbonePreset.Find(spec.Backbone);
        if (preset is null)
        {
            if (!spec.Backbone.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && !File.Exists(spec.Backbone))
            {
                Throw.BadArgument($"--backbone '{spec.Backbone}' is neither a preset ({string.Join(", ", BackbonePreset.All.Select(p => p.Name))}) nor an .onnx file",
                    "pass --backbone resnet18, --backbone vgg16 --model FILE, or --backbone FILE.onnx --preprocess imagenet|caffe|unit");
            }

            return (null, Path.GetFullPath(spec.Backbone));
        }

        if (spec.Model is not null)
        {
            return (preset, Path.GetFullPath(spec.Model));
        }

        if (preset.ModelFile is null)
        {
            Throw.BadArgument($"--backbone {preset.Name} needs its model file", $"pass --model FILE (see onnx-models/README.md for how to get a {preset.Name} ONNX file)");
        }

        return (preset, ToolPath(preset.ModelFile));
    }

    private static string ChooseFeatureTensor(BackbonePreset? preset, ModelProto model, string file)
    {
        var names = OnnxGraph.TensorNames(model.Graph).ToHashSet(StringComparer.Ordinal);
        if (preset?.FeatureTensor is { } t && names.Contains(t))
        {
            return t;
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
            Throw.BadModel(file, $"has no tensor '{missing}' that the {preset.Name} preset reads", "pass the model file this preset expects");
        }

        return model.Graph.Output[0].Name;
    }

    private static Preprocessing ChoosePreprocessing(BackbonePreset? preset, BackboneSpec spec, ValueInfoProto input, string file)
    {
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (dims.Length != 4)
        {
            Throw.BadModel(file, $"input '{input.Name}' has {dims.Length} dimensions, expected an image batch (N, 3, H, W) or (N, H, W, 3)", "pass an image model");
        }

        TensorLayout layout = dims[1] == 3 ? TensorLayout.Nchw : dims[3] == 3 ? TensorLayout.Nhwc : (TensorLayout)(-1);
        if ((int)layout < 0)
        {
            Throw.BadModel(file, $"input '{input.Name}' shape ({string.Join(", ", dims)}) has no 3-channel axis", "pass an RGB image model");
        }

        int h = (int)(layout == TensorLayout.Nchw ? dims[2] : dims[1]);
        int w = (int)(layout == TensorLayout.Nchw ? dims[3] : dims[2]);
        h = h > 0 ? h : 224;
        w = w > 0 ? w : 224;
        if (spec.Preprocess is { } name)
        {
            return BackbonePreset.Presets.ByName(name, w, h, layout)
                ?? throw new PipelineException($"--preprocess '{name}' is unknown", "use imagenet, caffe or unit", ExitCode.BadArgument);
        }

        if (preset is not null)
        {
            var p = preset.Preprocessing;
            if (p.Layout != layout || p.Width != w || p.Height != h)
            {
                Throw.BadModel(file, $"input '{input.Name}' is ({string.Join(", ", dims)}), the {preset.Name} preset expects {p.Layout} {p.Height}x{p.Width}",
                    $"pass a {preset.Name} model, or --backbone FILE.onnx --preprocess imagenet|caffe|unit");
            }

            return p;
        }

        Throw.BadArgument($"model '{file}' is not a preset: its preprocessing is unknown", "add --preprocess imagenet (torchvision), caffe (Keras VGG/ResNet) or unit (0–1 RGB)");
        return null;
    }

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

    private static (SessionOptions Options, string Device) CreateOptions(BackboneSpec spec, Action<string>? info)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = CpuBudget.InferenceThreads(spec.Threads),   // never ORT's 0: see CpuBudget
        };
        string device = spec.Device.Trim().ToLowerInvariant();
        if (device == "cpu")
        {
            return (options, CpuDescription(spec));
        }

        int id = 0;
        bool explicitCuda = device.StartsWith("cuda", StringComparison.Ordinal);
        if (explicitCuda && device.Length > 4 && (device[4] != ':' || !int.TryParse(device[5..], out id)))
        {
            options.Dispose();
            Throw.BadArgument($"--device '{spec.Device}' is not auto, cpu, cuda or cuda:N", "pass --device auto, cpu, cuda or cuda:0");
        }

        if (!explicitCuda && device != "auto")
        {
            options.Dispose();
            Throw.BadArgument($"--device '{spec.Device}' is not auto, cpu, cuda or cuda:N", "pass --device auto, cpu, cuda or cuda:0");
        }

        try
        {
            options.AppendExecutionProvider_CUDA(id);
            info?.Invoke($"device: CUDA device {id}");
            return (options, $"CUDA device {id}");
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            string reason = CudaProbe.Diagnose();
            if (explicitCuda)
            {
                options.Dispose();
                Throw.DeviceUnavailable(spec.Device, reason,
                    "install the CUDA 13 runtime and cuDNN 9 (libcudart, libcublas, libcudnn) on the library path, or pass --device cpu", e);
            }

            string cpu = CpuDescription(spec);
            info?.Invoke($"device: {cpu} (CUDA not available: {reason})");
            return (options, cpu);
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
