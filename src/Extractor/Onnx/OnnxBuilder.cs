using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// The one set of ONNX graph-building helpers: nodes with attributes, initializers, typed graph
/// inputs/outputs, metadata. Used by the synthetic backbones, the preprocessing graph and the
/// classifier export.
/// </summary>
internal static class OnnxBuilder
{
    /// <summary>Appends a node whose single output is named <paramref name="output"/>; attributes are long, long[] or a tensor.</summary>
    public static string Node(ICollection<NodeProto> nodes, string op, string[] inputs, string output, params (string Name, object Value)[] attributes) =>
        Node(nodes, op, inputs, [output], attributes)[0];

    /// <summary>Appends a node with several outputs (Split) and returns their names.</summary>
    public static string[] Node(ICollection<NodeProto> nodes, string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                long[] ints => Ints(name, ints),
                TensorProto t => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t },
                _ => throw new ArgumentException($"attribute {name}: a long or long[], not {value.GetType().Name}", nameof(attributes)),
            });
        }

        nodes.Add(node);
        return outputs;
    }

    public static TensorProto FloatTensor(string name, float[] values, long[] dims)
    {
        var t = new TensorProto
        {
            Name = name,
            DataType = (int)TensorProto.Types.DataType.Float,
            RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())),
        };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>A tensor type and shape; a string dimension is symbolic (the batch "N").</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s
                ? new TensorShapeProto.Types.Dimension { DimParam = s }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    public static void Meta(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    private static AttributeProto Ints(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
