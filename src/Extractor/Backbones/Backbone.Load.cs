using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

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
        if (backbone.PoolAsked is null && BackbonePreset.Find(spec.Backbone) is null && DefaultPool(backbone.FeatureShape) is { } byDefault)
        {
            // Any other model whose features are a spatial map, and neither the spec nor the model's metadata names a pooling:
            // Keras applications' pooling='avg' (README, "Pooling"); a token sequence: its class token. (Its messages were said by the first load.)
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
        // fp16 rewrites every weight, so it needs them in the graph; fp32 and tf32 let ONNX Runtime read external data from its files.
        var graph = Prepare(spec, info, keepExternalData: spec.Precision != Precision.Fp16);
        var (options, device, cuda) = CreateOptions(spec, info);
        if (graph.ExternalDataFolder is { } folder)
        {
            // A model given as bytes has no folder of its own: without this, ONNX Runtime reads external data from the working directory.
            options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", folder);
        }

        var (model, meanImage, int8) = RunnableModel(spec, graph, cuda, info);
        if (int8 is not null)
        {
            graph = graph with { Info = graph.Info with { Quantized = int8 } };
        }

        if (spec.Precision == Precision.Tf32 && !cuda)
        {
            info?.Invoke("precision: tf32 is a CUDA tensor-core mode; the CPU computes in fp32");
        }

        var p = graph.Preprocessing;
        long[] oneImage = p.Layout == TensorLayout.Nchw ? [1, 3, p.Height, p.Width] : [1, p.Height, p.Width, 3];
        double gflops = p.Layout == TensorLayout.Nchw ? OnnxFlops.Gflops(graph.Model, graph.InputName, oneImage) : double.NaN;
        InferenceSession session;
        try
        {
            session = CreateSession(model, graph.Model, options, byPath: graph.ExternalDataFolder is null);
        }
        catch (OnnxRuntimeException e)
        {
            options.Dispose();
            Throw.BadModel(graph.File, $"ONNX Runtime cannot load it ({FirstLine(e.Message)})", "check the file is a complete ONNX model", e);
            return null;
        }

        options.Dispose();
        IReadOnlyList<int> featureShape;
        try
        {
            CheckSession(session, graph.Info.FeatureTensor, graph.File);
            featureShape = new Backbone(session, graph.Info, p, meanImage, graph.InputName, [1], device, cuda).CheckedFeatureShape(graph.Model, graph.File, graph.InputName);
            CheckPooled(graph.Info.Pool, featureShape, graph.File);
        }
        catch (OnnxRuntimeException e)
        {
            session.Dispose();
            Throw.BadModel(graph.File, $"cannot run two images of input '{graph.InputName}' at once ({FirstLine(e.Message)}); expected a batch axis first", "export the model with a dynamic batch axis (torch.onnx.export dynamic_axes)", e);
            return null;
        }
        catch
        {
            session.Dispose();
            throw;
        }

        var backbone = new Backbone(session, graph.Info, p, meanImage, graph.InputName, featureShape, device, cuda)
        {
            Threads = CpuBudget.InferenceThreads(spec.Threads),
            GflopsPerImage = gflops,
            PoolAsked = graph.Pool,
            ModelFile = graph.File,
        };
        if (graph.Info.Synthetic)
        {
            info?.Invoke($"warning: '{graph.Info.File}' is a synthetic model with random weights: its features are for speed tests only, never for accuracy");
        }

        return backbone;
    }

    /// <summary>
    /// The session, built with one managed copy of the weights alive at most, not three: once serialized, the weights are
    /// dropped from the parsed messages (<paramref name="model"/> and the graph it came from, which the checks after this
    /// read for shapes and op types only). With <paramref name="byPath"/> (a model whose weights are all in the graph)
    /// the graph is streamed to an unlinked temporary file and ONNX Runtime reads it from there, so no serialized copy is
    /// alive in the managed heap while ONNX Runtime builds its own: resnet18's predict peaks about 60 MB lower
    /// (docs/scale.md). A model with external data keeps its bytes (small: the weights stay in their files).
    /// </summary>
    private static InferenceSession CreateSession(ModelProto model, ModelProto parsed, SessionOptions options, bool byPath)
    {
        try
        {
            return (byPath ? FromUnlinkedFile(model, parsed, options) : null) ?? FromBytes(model, parsed, options);
        }
        finally
        {
            // Give the freed pages back, not only to the managed heap: a short predict never reaches a full collection.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static InferenceSession FromBytes(ModelProto model, ModelProto parsed, SessionOptions options)
    {
        byte[] bytes = Serialize(model);
        OnnxGraph.DropWeights(model);
        OnnxGraph.DropWeights(parsed);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return new InferenceSession(bytes, options);
    }

    /// <summary>
    /// Writes <paramref name="model"/> to a temporary file that is unlinked at once (a kill leaves nothing behind) and has
    /// ONNX Runtime open it through <c>/proc/self/fd</c>; null where that cannot be done (not Linux, no writable temp
    /// folder), and the caller passes bytes instead. The model is never dropped before it is written whole.
    /// </summary>
    private static InferenceSession? FromUnlinkedFile(ModelProto model, ModelProto parsed, SessionOptions options)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/fd"))
        {
            return null;
        }

        FileStream file;
        string path = Path.Combine(Path.GetTempPath(), $"pipeline-backbone-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        try
        {
            file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        using (file)
        {
            try
            {
                File.Delete(path);
                model.WriteTo(file);
                file.Flush();
            }
            catch (IOException)
            {
                return null;   // a full temp folder: bytes instead
            }

            OnnxGraph.DropWeights(model);
            OnnxGraph.DropWeights(parsed);
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            return new InferenceSession($"/proc/self/fd/{file.SafeFileHandle.DangerousGetHandle()}", options);
        }
    }
}
