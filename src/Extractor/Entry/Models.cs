namespace Pipeline;

/// <summary>Model files: what one holds (<c>models info</c>) and cutting it to a feature extractor (<c>models cut</c>).</summary>
public static class Models
{
    /// <summary>Inputs, outputs, operators, parameters, GFLOPs and cut points of an ONNX model file.</summary>
    /// <param name="file">An .onnx file (with its external data files beside it, if it has any).</param>
    /// <exception cref="Pipeline.ModelFileException">The file is not a readable ONNX model.</exception>
    public static ModelInfo Info(string file) => OnnxTools.Describe(file);

    /// <summary>
    /// Makes <paramref name="tensor"/> the output of the model in <paramref name="input"/> (Keras' include_top=False
    /// for any graph), drops what it does not need, makes the batch dynamic and writes <paramref name="output"/> atomically.
    /// </summary>
    /// <param name="input">The full model file.</param>
    /// <param name="tensor">The tensor that becomes the output (one of <see cref="ModelInfo.CutPoints"/>, or any other).</param>
    /// <param name="output">The cut model file to write.</param>
    /// <param name="record">
    /// Preprocessing and pooling to record in the cut model's <c>pipeline.*</c> metadata, so extract needs no other
    /// setting; null, or a spec that sets none of them, keeps the source model's.
    /// </param>
    /// <exception cref="Pipeline.ModelFileException">No such tensor (the nearest names are given), or an unreadable file.</exception>
    public static ModelCut Cut(string input, string tensor, string output, BackboneSpec? record = null)
    {
        bool records = record is { } s && (s.Preprocess is not null || s.Mean is not null || s.Std is not null || s.Scale is not null || s.Channels is not null || s.Pool is not null);
        var (kept, dropped) = OnnxTools.Cut(input, tensor, output, records ? PipelineMetadata.Of(record!, null) : null);
        return new ModelCut { Output = output, NodesKept = kept, NodesDropped = dropped };
    }
}
