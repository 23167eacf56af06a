using Google.Protobuf;
using Onnx;

namespace Pipeline.Tooling;

/// <summary>
/// Backbones with seeded random weights, for tests and benchmarks where no real weights exist.
/// Each carries the <c>synthetic</c> metadata marker, so extract warns and no accuracy is ever
/// reported from one.
/// </summary>
internal static partial class SynthModels
{
    /// <summary>VGG16's conv-base plan: widths, with 0 for a 2×2 max-pool.</summary>
    private static readonly int[] Vgg16Plan = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    public const string Vgg16Input = "data";
    public const string Vgg16Pool5 = "pool5";

    /// <summary>
    /// VGG16's conv base exactly: 13 3×3 convolutions (pad 1) with ReLU, 5 max-pools, 14.7 M
    /// parameters, 30.7 GFLOPs at 224×224. Input <c>data</c> (N, 3, 224, 224) float32 (ImageNet
    /// normalisation); output <c>pool5</c> (N, 512, 7, 7). With <paramref name="withClassifier"/>, the
    /// full classifier follows (Flatten, 4096, 4096, 1000, Softmax: 138 M parameters), as the
    /// ONNX Model Zoo ships it, to test cutting at pool5.
    /// </summary>
    public static ModelProto Vgg16(int seed, bool withClassifier = false, int size = 224)
    {
        var b = new GraphBuilder(seed);
        string x = b.Input(Vgg16Input, [3, size, size]);
        int channels = 3, block = 1, conv = 1;
        for (int i = 0; i < Vgg16Plan.Length; i++)
        {
            int width = Vgg16Plan[i];
            if (width == 0)
            {
                x = b.MaxPool(x, i == Vgg16Plan.Length - 1 ? Vgg16Pool5 : $"pool{block}");
                block++;
                conv = 1;
                continue;
            }

            x = b.Relu(b.Conv(x, channels, width, 3, 1, $"conv{block}_{conv}"));
            channels = width;
            conv++;
        }

        int side = size / 32;
        // Its contract, as the ONNX Model Zoo's VGG16 has it, in the tool's own metadata keys: --backbone FILE then needs no flag.
        var contract = new PipelineMetadata { Preprocess = PreprocessMode.Torch, Resize = ResizeMode.Crop, FeatureTensor = Vgg16Pool5 };
        if (!withClassifier)
        {
            b.Output(x, [512, side, side]);
            return b.Build("vgg16-synthetic-convbase", contract);
        }

        x = b.Flatten(x);
        x = b.Relu(b.Gemm(x, 512 * side * side, 4096, "fc6"));
        x = b.Relu(b.Gemm(x, 4096, 4096, "fc7"));
        x = b.Softmax(b.Gemm(x, 4096, 1000, "fc8"), "prob");
        b.Output(x, [1000]);
        return b.Build("vgg16-synthetic-classifier", contract);
    }

    // The tiny, MobileNet-like and SqueezeNet-like models carry no pipeline.* keys on purpose: they stand in for
    // files from elsewhere, which tests give their preprocessing as flags (or cut with it).

    /// <summary>A small CNN for fast unit tests: 3 convolutions to (N, 32, 1, 1) at 64×64; with a classifier, then Flatten, Gemm (10), Softmax.</summary>
    public static ModelProto TinyCnn(int seed, int size = 64, bool withClassifier = false)
    {
        var b = new GraphBuilder(seed);
        string x = b.Input("input", [3, size, size]);
        x = b.MaxPool(b.Relu(b.Conv(x, 3, 8, 3, 1, "c1")), "p1");
        x = b.MaxPool(b.Relu(b.Conv(x, 8, 16, 3, 1, "c2")), "p2");
        x = b.Relu(b.Conv(x, 16, 32, 3, 1, "c3"));
        x = b.GlobalAveragePool(x, "features");
        if (!withClassifier)
        {
            b.Output(x, [32, 1, 1]);
            return b.Build("tiny-cnn-synthetic");
        }

        // As torchvision's ResNets end: the pool, Flatten, a Gemm classifier.
        x = b.Softmax(b.Gemm(b.Flatten(x), 32, 10, "fc"), "prob");
        b.Output(x, [10]);
        return b.Build("tiny-cnn-synthetic-classifier");
    }

    /// <summary>
    /// MobileNetV2's building blocks at toy width, as Keras and torchvision export them: a stride-2 stem, ReLU6 as
    /// Clip(0, 6), depthwise 3×3 convolutions (group = channels), an inverted residual with its Add, the last
    /// feature map <c>out_relu</c> (N, 64, H/4, W/4), a global average pool and a 1×1 Conv classifier (10 classes),
    /// Flatten, Softmax. Input <c>input</c> (N, 3, size, size), [-1, 1] as Keras' <c>tf</c> mode gives.
    /// </summary>
    public static ModelProto MobileNetLike(int seed, int size = 64)
    {
        var b = new GraphBuilder(seed) { BiasStd = 0.05 };
        string x = b.Input("input", [3, size, size]);
        x = b.Relu6(b.Conv(x, 3, 16, 3, 1, "stem", stride: 2));
        x = b.Relu6(b.Conv(x, 16, 16, 3, 1, "dw1", group: 16));
        x = b.Conv(x, 16, 24, 1, 0, "project1", stride: 1);
        string expand = b.Relu6(b.Conv(x, 24, 72, 1, 0, "expand2"));
        string dw = b.Relu6(b.Conv(expand, 72, 72, 3, 1, "dw2", group: 72));
        string project = b.Conv(dw, 72, 24, 1, 0, "project2");
        x = b.Add(x, project, "block2_add");
        x = b.Conv(x, 24, 64, 3, 1, "last_conv", stride: 2);
        x = b.Relu6(x, "out_relu");
        x = b.GlobalAveragePool(x, "global_pool");
        x = b.Conv(x, 64, 10, 1, 0, "classifier_conv");
        x = b.Softmax(b.Flatten(x), "probabilities");
        b.Output(x, [10]);
        return b.Build("mobilenet-like-synthetic");
    }

    /// <summary>
    /// SqueezeNet 1.1's shape at toy width: a stride-2 stem, a max-pool, two fire modules (a 1×1 squeeze, then 1×1
    /// and 3×3 expands concatenated), Dropout, then the 1×1 Conv classifier on the map itself (no pool before it),
    /// ReLU, a global average pool, Flatten, Softmax. The last feature map is <c>fire3_concat</c> (N, 32, H/4, W/4).
    /// Input <c>data</c> (N, 3, size, size).
    /// </summary>
    public static ModelProto SqueezeNetLike(int seed, int size = 64)
    {
        var b = new GraphBuilder(seed) { BiasStd = 0.05 };
        string x = b.Input("data", [3, size, size]);
        x = b.MaxPool(b.Relu(b.Conv(x, 3, 16, 3, 1, "conv1", stride: 2)), "pool1");
        x = b.Fire(x, 16, 8, 16, "fire2");
        x = b.Fire(x, 32, 8, 16, "fire3");
        x = b.Dropout(x, "drop9");
        x = b.Relu(b.Conv(x, 32, 10, 1, 0, "conv10"));
        x = b.GlobalAveragePool(x, "pool10");
        x = b.Softmax(b.Flatten(x), "prob");
        b.Output(x, [10]);
        return b.Build("squeezenet-like-synthetic");
    }

    /// <summary>
    /// A Keras model as tf2onnx converts it: channels-last input <c>input_1</c> (N, size, size, 3) and a Transpose to
    /// channels-first for the convolutions (stem, depthwise, pointwise, ReLU6 as Clip), a Transpose back, so the last
    /// feature map <c>out_relu</c> is (N, size/2, size/2, 24) channels-last; then ReduceMean over axes 1 and 2 (Keras'
    /// GlobalAveragePooling2D), and a Dense classifier as MatMul with its weight in a Constant node, Add, Softmax.
    /// </summary>
    public static ModelProto KerasLike(int seed, int size = 32)
    {
        var b = new GraphBuilder(seed) { BiasStd = 0.05 };
        string x = b.Input("input_1", [size, size, 3]);
        x = b.Transpose(x, [0, 3, 1, 2], "input_1_nchw");
        x = b.Relu6(b.Conv(x, 3, 16, 3, 1, "Conv1", stride: 2));
        x = b.Relu6(b.Conv(x, 16, 16, 3, 1, "expanded_conv_depthwise", group: 16));
        x = b.Relu6(b.Conv(x, 16, 24, 1, 0, "Conv_1"));
        x = b.Transpose(x, [0, 2, 3, 1], "out_relu");
        x = OnnxBuilder.Node(b.Nodes, "ReduceMean", [x], "global_average_pooling2d", ("axes", new long[] { 1, 2 }), ("keepdims", 0L));
        x = b.DenseAsMatMul(x, 24, 10, "predictions");
        x = b.Softmax(x, "predictions_softmax");
        b.Output(x, [10]);
        return b.Build("keras-like-synthetic");
    }

    public static void Save(ModelProto model, string path) => AtomicFile.Write(path, model.ToByteArray());

    private sealed class GraphBuilder(int seed)
    {
        private readonly GraphProto _graph = new() { Name = "synthetic" };
        private readonly Random _random = new(seed);
        private int _n;

        /// <summary>Spread of the convolution biases (0: zero, as the VGG16 and tiny models have).</summary>
        public double BiasStd { get; init; }

        public string Input(string name, long[] chw)
        {
            _graph.Input.Add(Value(name, chw));
            return name;
        }

        public void Output(string name, long[] dims) => _graph.Output.Add(Value(name, dims));

        public string Conv(string x, int cin, int cout, int k, int pad, string name, int stride = 1, int group = 1)
        {
            string w = Init($"{name}_W", [cout, cin / group, k, k], Math.Sqrt(2.0 / (cin / group * k * k)));
            string bias = Init($"{name}_B", [cout], BiasStd);
            return group == 1
                ? Node("Conv", [x, w, bias], name, ("kernel_shape", [k, k]), ("pads", [pad, pad, pad, pad]), ("strides", [stride, stride]))
                : OnnxBuilder.Node(_graph.Node, "Conv", [x, w, bias], name, ("kernel_shape", new long[] { k, k }), ("pads", new long[] { pad, pad, pad, pad }), ("strides", new long[] { stride, stride }), ("group", (long)group));
        }

        /// <summary>ReLU6 as exporters write it: Clip with constant 0 and 6 inputs.</summary>
        public string Relu6(string x, string? name = null)
        {
            if (!_graph.Initializer.Any(t => t.Name == "relu6_min"))
            {
                _graph.Initializer.Add(OnnxBuilder.FloatTensor("relu6_min", [0f], []));
                _graph.Initializer.Add(OnnxBuilder.FloatTensor("relu6_max", [6f], []));
            }

            return OnnxBuilder.Node(_graph.Node, "Clip", [x, "relu6_min", "relu6_max"], name ?? $"relu6_{++_n}");
        }

        public ICollection<NodeProto> Nodes => _graph.Node;

        public string Transpose(string x, long[] perm, string name) => OnnxBuilder.Node(_graph.Node, "Transpose", [x], name, ("perm", perm));

        /// <summary>A Dense layer as tf2onnx writes it: MatMul with the (in, out) weight from a Constant node, then Add of the bias.</summary>
        public string DenseAsMatMul(string x, int cin, int cout, string name)
        {
            string w = Init($"{name}_W", [cin, cout], Math.Sqrt(2.0 / cin));
            var tensor = _graph.Initializer.Single(t => t.Name == w);
            _graph.Initializer.Remove(tensor);
            OnnxBuilder.Node(_graph.Node, "Constant", [], w, ("value", tensor));
            string bias = Init($"{name}_B", [cout], 0.05);
            return Add(OnnxBuilder.Node(_graph.Node, "MatMul", [x, w], $"{name}_matmul"), bias, name);
        }

        public string Add(string a, string b, string name) => OnnxBuilder.Node(_graph.Node, "Add", [a, b], name);

        public string Dropout(string x, string name) => OnnxBuilder.Node(_graph.Node, "Dropout", [x], name);

        /// <summary>A SqueezeNet fire module: squeeze 1×1, then expand 1×1 and 3×3 side by side, concatenated on channels.</summary>
        public string Fire(string x, int cin, int squeeze, int expand, string name)
        {
            string s = Relu(Conv(x, cin, squeeze, 1, 0, $"{name}_squeeze1x1"));
            string e1 = Relu(Conv(s, squeeze, expand, 1, 0, $"{name}_expand1x1"));
            string e3 = Relu(Conv(s, squeeze, expand, 3, 1, $"{name}_expand3x3"));
            return OnnxBuilder.Node(_graph.Node, "Concat", [e1, e3], $"{name}_concat", ("axis", 1L));
        }

        public string Gemm(string x, int cin, int cout, string name)
        {
            string w = Init($"{name}_W", [cout, cin], Math.Sqrt(2.0 / cin));
            string bias = Init($"{name}_B", [cout], 0);
            return OnnxBuilder.Node(_graph.Node, "Gemm", [x, w, bias], name, ("transB", 1L));
        }

        public string Relu(string x) => Node("Relu", [x], $"relu{++_n}");

        public string MaxPool(string x, string name) => Node("MaxPool", [x], name, ("kernel_shape", [2, 2]), ("strides", [2, 2]));

        public string GlobalAveragePool(string x, string name) => Node("GlobalAveragePool", [x], name);

        public string Flatten(string x) => Node("Flatten", [x], "flatten");

        public string Softmax(string x, string name) => Node("Softmax", [x], name);

        public ModelProto Build(string name, PipelineMetadata? contract = null)
        {
            var model = new ModelProto
            {
                IrVersion = 8,
                ProducerName = "pipeline models synth",
                ProducerVersion = ToolInfo.Version,
                DocString = $"{name}: random weights (seeded), for speed tests only",
                Graph = _graph,
            };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
            model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxGraph.SyntheticKey, Value = "true" });
            model.MetadataProps.Add(new StringStringEntryProto { Key = "seed", Value = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            contract?.WriteTo(model);
            return model;
        }

        private string Node(string op, string[] inputs, string name, params (string Name, long[] Ints)[] attributes) =>
            OnnxBuilder.Node(_graph.Node, op, inputs, name, attributes.Select(a => (a.Name, (object)a.Ints)).ToArray());

        /// <summary>
        /// A float initializer of variance std² (He initialisation keeps ReLU activations in range),
        /// drawn uniform on ±std·√3: the same variance as a Gaussian, five times faster to draw.
        /// </summary>
        private string Init(string name, long[] dims, double std)
        {
            long count = dims.Aggregate(1L, (a, b) => a * b);
            var values = new float[count];
            float limit = (float)(std * Math.Sqrt(3));
            for (long i = 0; i < count; i++)
            {
                values[i] = limit * (2 * _random.NextSingle() - 1);
            }

            _graph.Initializer.Add(OnnxBuilder.FloatTensor(name, values, dims));
            return name;
        }

        private static ValueInfoProto Value(string name, long[] dims) =>
            OnnxBuilder.Value(name, TensorProto.Types.DataType.Float, [OnnxGraph.BatchDim, .. dims.Cast<object>()]);
    }
}
