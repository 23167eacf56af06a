using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>
/// Appends the asked pooling to a backbone graph, so the cache holds pooled vectors: avg and max for a feature map
/// (N, C, H, W) (<see cref="GraphSurgery.AppendGlobalPool"/>), cls and mean for a transformer's token sequence (N, T, D).
/// </summary>
internal static class FeaturePool
{
    public const string ClsOutput = "pipeline_cls_token";
    public const string MeanOutput = "pipeline_token_mean";

    /// <summary>The pooled output's name (the graph's only output now), or <paramref name="tensor"/> itself for flatten or none.</summary>
    public static string Append(ModelProto model, string tensor, Pooling? pool) => pool switch
    {
        Pooling.Avg => GraphSurgery.AppendGlobalPool(model, tensor, "GlobalAveragePool"),
        Pooling.Max => GraphSurgery.AppendGlobalPool(model, tensor, "GlobalMaxPool"),
        Pooling.Cls or Pooling.Mean => AppendTokenPool(model, tensor, pool.Value),
        _ => tensor,
    };

    /// <summary>
    /// Whether <paramref name="pooledShape"/> (one image's, after <paramref name="pool"/>) is what that pooling gives on
    /// the features it is for: (D) for cls and mean of a token sequence (N, T, D); (C, 1, 1) for avg and max of a map
    /// (N, C, H, W). avg of a token sequence would give (T, 1), a mean over each token's width: refused.
    /// </summary>
    public static bool Fits(Pooling pool, IReadOnlyList<int> pooledShape) => pool switch
    {
        Pooling.Cls or Pooling.Mean => pooledShape.Count == 1,
        Pooling.Avg or Pooling.Max => pooledShape is [_, 1, 1],
        _ => true,
    };

    /// <summary>
    /// (N, T, D) → (N, D): cls is Gather index 0 on axis 1 (the class token, first as ViT, DeiT, DINOv2 and CLIP put it);
    /// mean is ReduceMean over axis 1 (axes an attribute before opset 18, an input from it).
    /// </summary>
    private static string AppendTokenPool(ModelProto model, string tensor, Pooling pool)
    {
        var g = model.Graph;
        var elementType = g.Output.FirstOrDefault(o => o.Name == tensor)?.Type?.TensorType?.ElemType ?? (int)TensorProto.Types.DataType.Float;
        string output;
        if (pool == Pooling.Cls)
        {
            var index = new TensorProto { Name = "pipeline_cls_index", DataType = (int)TensorProto.Types.DataType.Int64 };
            index.Int64Data.Add(0);   // a scalar index: the token axis is dropped, (N, D)
            g.Initializer.Add(index);
            output = OnnxBuilder.Node(g.Node, "Gather", [tensor, index.Name], ClsOutput, ("axis", 1L));
        }
        else if (Opset(model) >= 18)
        {
            var axes = new TensorProto { Name = "pipeline_token_axis", DataType = (int)TensorProto.Types.DataType.Int64 };
            axes.Int64Data.Add(1);
            axes.Dims.Add(1);
            g.Initializer.Add(axes);
            output = OnnxBuilder.Node(g.Node, "ReduceMean", [tensor, axes.Name], MeanOutput, ("keepdims", 0L));
        }
        else
        {
            output = OnnxBuilder.Node(g.Node, "ReduceMean", [tensor], MeanOutput, ("axes", new long[] { 1 }), ("keepdims", 0L));
        }

        g.Output.Clear();
        g.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType } } });
        return output;
    }

    private static long Opset(ModelProto model) => model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1;
}
