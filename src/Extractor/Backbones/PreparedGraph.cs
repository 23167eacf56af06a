namespace Pipeline.Extractor.Backbones;

/// <summary>A backbone graph ready to run or to embed: cut, batch-dynamic, with its identity and preprocessing.</summary>
internal sealed record PreparedGraph(global::Onnx.ModelProto Model, string File, string InputName, BackboneInfo Info, Preprocessing Preprocessing, float[]? MeanImage)
{
    /// <summary>The model's folder, where ONNX Runtime must read the weights the graph keeps in external data; null when it keeps none.</summary>
    public string? ExternalDataFolder { get; init; }

    /// <summary>The pooling asked for (the spec's, else the model's metadata), flatten included; null: none was named.</summary>
    public Pooling? Pool { get; init; }
}
