using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Pipeline.Extractor.Backbones;

/// <summary>
/// What a model file must be for this tool to run it, checked when it loads (before any image is read), each refusal
/// naming the tensor and what was expected: one float32 image input, a float32 feature tensor whose first axis is the
/// input's batch, and buffers that one array can hold.
/// </summary>
internal sealed partial class Backbone
{
    private const int Float = (int)TensorProto.Types.DataType.Float;

    /// <summary>Operators that can move or merge the batch axis: a graph with any of them is run on two images at load to see that N stays N.</summary>
    private static readonly HashSet<string> ShapeOps = new(StringComparer.Ordinal)
    {
        "Reshape", "Flatten", "Expand", "Tile", "ConstantOfShape", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather",
        "SpaceToDepth", "DepthToSpace", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Einsum",
    };

    /// <summary>The one image input: (N, 3, H, W) or (N, H, W, 3) float32 (its shape is checked with the preprocessing).</summary>
    private static ValueInfoProto CheckInput(ModelProto model, string file)
    {
        var g = model.Graph;
        if (g.Output.Count == 0)
        {
            Throw.BadModel(file, "graph has no output; expected one feature tensor (N, …) float32", "export the model with its outputs");
        }

        var inputs = OnnxGraph.RealInputs(g).ToList();
        if (inputs.Count == 0)
        {
            Throw.BadModel(file, "graph has no input", "use an image model");
        }

        if (inputs.Count > 1)
        {
            Throw.BadModel(file, $"graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); expected one, the image batch (N, 3, H, W) or (N, H, W, 3) float32",
                "export the image tower alone, or make the other inputs initializers (constants)");
        }

        var input = inputs[0];
        int type = input.Type?.TensorType?.ElemType ?? 0;
        if (type != Float)
        {
            Throw.BadModel(file, $"input '{input.Name}' is {TypeName(type)}; expected float32 (the tool feeds normalised float pixels)",
                "export the model with a float32 input (the preprocessing the tool applies replaces an in-graph uint8 cast)");
        }

        return input;
    }

    /// <summary>The feature tensor, where the graph says its type: float32, the rows a cache holds.</summary>
    private static void CheckFeatureType(ModelProto model, string tensor, string file)
    {
        var g = model.Graph;
        var declared = g.Output.Concat(g.ValueInfo).FirstOrDefault(v => v.Name == tensor)?.Type?.TensorType?.ElemType ?? 0;
        if (declared is not 0 and not Float)
        {
            Throw.BadModel(file, $"output '{tensor}' is {TypeName(declared)}; expected float32 features (N, …)",
                "cut the model at a float32 feature tensor ('models info' lists the feature maps and pools)");
        }
    }

    /// <summary>What ONNX Runtime makes of the feature output: float32 (a type it infers, where the file declared none).</summary>
    private static void CheckSession(InferenceSession session, string tensor, string file)
    {
        var meta = session.OutputMetadata[tensor];
        if (meta.ElementDataType != TensorElementType.Float)
        {
            Throw.BadModel(file, $"output '{tensor}' is {meta.ElementDataType.ToString().ToLowerInvariant()}; expected float32 features (N, …)",
                "cut the model at a float32 feature tensor ('models info' lists the feature maps and pools)");
        }
    }

    /// <summary>One image's input must fit one array (the batch is checked against it by the extraction).</summary>
    private static void CheckInputSize(ValueInfoProto input, Preprocessing p, string file)
    {
        long floats = 3L * p.Width * p.Height;
        if (floats > Array.MaxLength)
        {
            Throw.BadModel(file, $"input '{input.Name}' is {p.Height}x{p.Width}: one image is {floats:N0} floats, more than one buffer holds ({Array.MaxLength:N0})",
                "use a model with a smaller input size");
        }
    }

    /// <summary>
    /// The shape of one feature row, from the session's metadata where it is whole and nothing in the graph can move
    /// the batch axis; else from a run on two images of zeros, whose output must lead with 2.
    /// </summary>
    private IReadOnlyList<int> CheckedFeatureShape(ModelProto model, string file, string inputName)
    {
        var dims = _session.OutputMetadata[_outputNames[0]].Dimensions;
        bool batchIsFree = dims.Length > 0 && dims[0] <= 0 && !model.Graph.Node.Any(n => ShapeOps.Contains(n.OpType));
        long[] shape;
        if (batchIsFree && dims.Skip(1).All(d => d > 0))
        {
            shape = dims.Select(d => (long)d).ToArray();
        }
        else
        {
            shape = ProbeShape(inputName, 2);
            if (shape.Length == 0 || shape[0] != 2)
            {
                Throw.BadModel(file, $"output '{_outputNames[0]}' is ({string.Join(", ", shape)}) for 2 images of input '{inputName}'; expected its first axis to be the batch (2, …)",
                    "export the model with a dynamic batch axis (torch.onnx.export dynamic_axes), or cut it before the node that folds the batch away");
            }
        }

        long features = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (features > Array.MaxLength / 2)
        {
            Throw.BadModel(file, $"output '{_outputNames[0]}' has {features:N0} values per image ({string.Join("x", shape.Skip(1))}), more than a feature row can hold",
                "pool the feature map (pool avg), or cut the model at a smaller tensor");
        }

        return shape.Skip(1).Select(d => (int)d).ToArray();
    }

    private long[] ProbeShape(string inputName, int images)
    {
        long[] shape = (long[])_inputShape.Clone();
        shape[0] = images;
        using var input = OrtValue.CreateTensorValueFromMemory(new float[images * InputLength], shape);
        using var outputs = _session.Run(_runOptions, [inputName], [input], _outputNames);
        return outputs[0].GetTensorTypeAndShape().Shape;
    }

    private static string TypeName(int type) => type == 0 ? "of no declared type" : ((TensorProto.Types.DataType)type).ToString().ToLowerInvariant();
}
