using Pipeline.Extractor.Cache;

namespace Pipeline.Extractor.Backbones;

/// <summary>A backbone graph ready to run or to embed: cut, batch-dynamic, with its identity and preprocessing.</summary>
internal sealed record PreparedGraph(global::Onnx.ModelProto Model, string File, string InputName, BackboneInfo Info, Preprocessing Preprocessing, float[]? MeanImage);
