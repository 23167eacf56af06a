using Onnx;

namespace Pipeline.Extractor.Backbones;

internal sealed partial class Backbone
{
    /// <summary>
    /// The graph as it will run: cut at the feature tensor, batch made dynamic; with its identity (the hash of the
    /// file and of every external data file it reads) and preprocessing. Used by <see cref="Load"/>, the int8
    /// quantizer and the classifier export.
    /// </summary>
    /// <param name="keepExternalData">
    /// Leave weights stored in external data where they are (ONNX Runtime reads them from the model's folder,
    /// <see cref="PreparedGraph.ExternalDataFolder"/>); false reads them into the graph, for rewriting or writing it out.
    /// </param>
    internal static PreparedGraph Prepare(BackboneSpec spec, Action<string>? info = null, bool keepExternalData = false)
    {
        var (preset, file) = ResolveModel(spec);
        if (!File.Exists(file))
        {
            Throw.BadModel(file, "no such file", preset?.Name == "vgg16"
                ? "bring a VGG16 ONNX file as the vgg16 preset's model file, or make a random-weight stand-in with 'models synth vgg16'"
                : "name the resnet18 preset or the path of an existing .onnx file");
        }

        using var fileHash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        ModelProto model = OnnxGraph.Parse(file, fileHash);
        var externalFiles = ExternalData.Files(model, file);   // validates every location and extent
        var input = CheckInput(model, file);
        var meta = PipelineMetadata.Read(model, file);
        string featureTensor = ChooseFeatureTensor(preset, model, meta, file, info);
        CheckFeatureType(model, featureTensor, file);
        if (model.Graph.Output.Count != 1 || model.Graph.Output[0].Name != featureTensor)
        {
            model = GraphSurgery.Cut(model, featureTensor, file);
        }

        var pool = spec.Pool ?? meta.Pool;
        featureTensor = FeaturePool.Append(model, featureTensor, pool);

        GraphSurgery.MakeBatchDynamic(model);
        var preprocessing = ChoosePreprocessing(preset, spec, meta, input, file) with { Resize = spec.Resize ?? preset?.Preprocessing.Resize ?? meta.Resize ?? ResizeMode.Squash };
        CheckInputSize(input, preprocessing, file);
        float[]? meanImage = null;
        if (preset?.MeanImageFile is { } meanFile)
        {
            meanImage = OnnxGraph.ReadInitializer(ToolPath(meanFile), preset.MeanImageTensor!);
            preprocessing = preprocessing with { MeanImageSha256 = Sha256.Hex(System.Runtime.InteropServices.MemoryMarshal.AsBytes(meanImage.AsSpan())) };
        }

        var identity = new BackboneInfo
        {
            Name = preset?.Name ?? Path.GetFileNameWithoutExtension(file), File = Path.GetFileName(file), Sha256 = ExternalData.Sha256(fileHash, externalFiles, file),
            FeatureTensor = featureTensor, Synthetic = OnnxGraph.IsSynthetic(model),
            Precision = spec.Precision == Precision.Fp32 ? null : spec.Precision,
            Pool = pool is Pooling.Flatten ? null : pool,
        };

        // Only the weights the cut graph still reads are read in.
        string? externalFolder = null;
        if (ExternalData.Tensors(model).Any())
        {
            if (keepExternalData)
            {
                externalFolder = ExternalData.Folder(file);
            }
            else
            {
                ExternalData.Inline(model, file);
            }
        }

        return new PreparedGraph(model, file, input.Name, identity, preprocessing, meanImage) { ExternalDataFolder = externalFolder, Pool = pool };
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
}
