using Google.Protobuf;
using Onnx;

namespace Pipeline.Tooling;

/// <summary>A vision transformer with random weights, written as torch.onnx exports Hugging Face's ViTModel.</summary>
internal static partial class SynthModels
{
    public const string VitInput = "pixel_values";
    public const string VitTokens = "last_hidden_state";
    public const string VitPooled = "pooler_output";

    /// <summary>
    /// ViT's shape at toy width, with the ops a real torch.onnx export (opset 17) has: a 16×16 stride-16 patch Conv,
    /// Reshape (shape from a Constant node) and Transpose to tokens (N, P, D), the class token broadcast to the batch
    /// by the Shape → Gather → Unsqueeze → Concat → Expand chain torch writes, Concat (class token first), the position
    /// embedding Add, <paramref name="blocks"/> pre-norm encoder blocks (LayerNormalization; attention as MatMuls with
    /// Reshape/Transpose to heads, a scale Div, Softmax; an MLP with the Erf form of Gelu; residual Adds), a final
    /// LayerNormalization. Input <c>pixel_values</c> (N, 3, size, size), [-1, 1] (mean 0.5, std 0.5, as ViT); outputs
    /// <c>last_hidden_state</c> (N, 1 + (size/16)², width) and <c>pooler_output</c> (N, width): the class token through
    /// a Dense layer and Tanh, as ViTModel's pooler.
    /// </summary>
    public static ModelProto Vit(int seed, int size = 64, int width = 32, int heads = 2, int blocks = 2)
    {
        var v = new VitBuilder(seed);
        var g = v.Graph;
        g.Input.Add(OnnxBuilder.Value(VitInput, TensorProto.Types.DataType.Float, [OnnxGraph.BatchDim, 3, size, size]));
        int patches = (size / 16) * (size / 16), tokens = patches + 1, headWidth = width / heads;

        // Patches: (N, 3, S, S) → Conv 16×16/16 → (N, D, S/16, S/16) → Reshape (N, D, P) → Transpose (N, P, D).
        string x = OnnxBuilder.Node(g.Node, "Conv", [VitInput, v.Weight("patch_W", [width, 3, 16, 16], 3 * 256), v.Weight("patch_B", [width], 0)], "patch_embed",
            ("kernel_shape", new long[] { 16, 16 }), ("strides", new long[] { 16, 16 }));
        x = OnnxBuilder.Node(g.Node, "Reshape", [x, v.Ints("patch_shape", [0, width, -1])], "patch_flat");
        x = OnnxBuilder.Node(g.Node, "Transpose", [x], "patch_tokens", ("perm", new long[] { 0, 2, 1 }));

        // The class token (1, 1, D) expanded to (N, 1, D): torch's cls_token.expand(B, -1, -1).
        string batch = OnnxBuilder.Node(g.Node, "Shape", [x], "tokens_shape");
        batch = OnnxBuilder.Node(g.Node, "Gather", [batch, v.Ints("batch_axis", [0], scalar: true)], "batch_size", ("axis", 0L));
        batch = OnnxBuilder.Node(g.Node, "Unsqueeze", [batch, v.Ints("unsqueeze_axes", [0])], "batch_size_1d");
        string expandTo = OnnxBuilder.Node(g.Node, "Concat", [batch, v.Ints("ones_2", [1, 1])], "cls_shape", ("axis", 0L));
        string cls = OnnxBuilder.Node(g.Node, "Expand", [v.Weight("cls_token", [1, 1, width], 1), expandTo], "cls_tokens");
        x = OnnxBuilder.Node(g.Node, "Concat", [cls, x], "embeddings_concat", ("axis", 1L));
        x = OnnxBuilder.Node(g.Node, "Add", [x, v.Weight("position_embeddings", [1, tokens, width], 1)], "embeddings");

        for (int b = 0; b < blocks; b++)
        {
            x = v.EncoderBlock(x, $"layer{b}", width, heads, headWidth);
        }

        x = v.LayerNorm(x, width, VitTokens);
        string first = OnnxBuilder.Node(g.Node, "Gather", [x, v.Ints("cls_index", [0], scalar: true)], "pooler_first_token", ("axis", 1L));
        string pooled = OnnxBuilder.Node(g.Node, "Tanh", [v.Dense(first, width, width, "pooler_dense")], VitPooled);

        g.Output.Add(OnnxBuilder.Value(VitTokens, TensorProto.Types.DataType.Float, [OnnxGraph.BatchDim, tokens, width]));
        g.Output.Add(OnnxBuilder.Value(pooled, TensorProto.Types.DataType.Float, [OnnxGraph.BatchDim, width]));
        var model = new ModelProto
        {
            IrVersion = 8, ProducerName = "pipeline models synth", ProducerVersion = ToolInfo.Version,
            DocString = "vit-synthetic: random weights (seeded), for speed tests only", Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        OnnxBuilder.Meta(model, OnnxGraph.SyntheticKey, "true");
        OnnxBuilder.Meta(model, "seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        new PipelineMetadata { Preprocess = PreprocessMode.Tf }.WriteTo(model);
        return model;
    }

    /// <summary>The ViT's nodes and seeded weights; every scalar and shape is a Constant node, as torch.onnx writes them.</summary>
    private sealed class VitBuilder(int seed)
    {
        private readonly Random _random = new(seed);

        public GraphProto Graph { get; } = new() { Name = "vit-synthetic" };

        /// <summary>A pre-norm encoder block: x + Attention(LN(x)), then + MLP(LN(·)). x (N, T, D).</summary>
        public string EncoderBlock(string x, string name, int width, int heads, int headWidth)
        {
            var g = Graph.Node;
            string h = LayerNorm(x, width, $"{name}_ln1");
            string Heads(string t, string role, long[] perm)
            {
                // (N, T, D) → (N, T, heads, D/heads) → (N, heads, T, D/heads), or (N, heads, D/heads, T) for the keys.
                string r = OnnxBuilder.Node(g, "Reshape", [t, Ints($"{name}_{role}_heads_shape", [0, 0, heads, headWidth])], $"{name}_{role}_heads");
                return OnnxBuilder.Node(g, "Transpose", [r], $"{name}_{role}_t", ("perm", perm));
            }

            string q = Heads(Dense(h, width, width, $"{name}_query"), "q", [0, 2, 1, 3]);
            string k = Heads(Dense(h, width, width, $"{name}_key"), "k", [0, 2, 3, 1]);
            string v = Heads(Dense(h, width, width, $"{name}_value"), "v", [0, 2, 1, 3]);
            string scores = OnnxBuilder.Node(g, "MatMul", [q, k], $"{name}_scores");                       // (N, heads, T, T)
            scores = OnnxBuilder.Node(g, "Div", [scores, Float($"{name}_scale", MathF.Sqrt(headWidth), valueFloat: true)], $"{name}_scores_scaled");
            string probs = OnnxBuilder.Node(g, "Softmax", [scores], $"{name}_probs", ("axis", -1L));
            string context = OnnxBuilder.Node(g, "MatMul", [probs, v], $"{name}_context");                // (N, heads, T, D/heads)
            context = OnnxBuilder.Node(g, "Transpose", [context], $"{name}_context_t", ("perm", new long[] { 0, 2, 1, 3 }));
            context = OnnxBuilder.Node(g, "Reshape", [context, Ints($"{name}_merge_shape", [0, 0, width])], $"{name}_context_merged");
            x = OnnxBuilder.Node(g, "Add", [x, Dense(context, width, width, $"{name}_attn_out")], $"{name}_residual1");

            // MLP: Dense (D → 2D), Gelu as torch exports it before opset 20: x · 0.5 · (1 + erf(x / √2)), Dense (2D → D).
            string m = Dense(LayerNorm(x, width, $"{name}_ln2"), width, 2 * width, $"{name}_fc1");
            string erf = OnnxBuilder.Node(g, "Erf", [OnnxBuilder.Node(g, "Div", [m, Float($"{name}_sqrt2", MathF.Sqrt(2))], $"{name}_gelu_div")], $"{name}_gelu_erf");
            string gelu = OnnxBuilder.Node(g, "Add", [erf, Float($"{name}_one", 1)], $"{name}_gelu_add");
            gelu = OnnxBuilder.Node(g, "Mul", [m, gelu], $"{name}_gelu_mul");
            gelu = OnnxBuilder.Node(g, "Mul", [gelu, Float($"{name}_half", 0.5f)], $"{name}_gelu");
            return OnnxBuilder.Node(g, "Add", [x, Dense(gelu, 2 * width, width, $"{name}_fc2")], $"{name}_output");
        }

        /// <summary>LayerNormalization over the last axis (opset 17), scale 1 and bias 0 as a fresh ViT.</summary>
        public string LayerNorm(string x, int width, string name)
        {
            Graph.Initializer.Add(OnnxBuilder.FloatTensor($"{name}_scale", Enumerable.Repeat(1f, width).ToArray(), [width]));
            Graph.Initializer.Add(OnnxBuilder.FloatTensor($"{name}_bias", new float[width], [width]));
            var node = OnnxBuilder.Node(Graph.Node, "LayerNormalization", [x, $"{name}_scale", $"{name}_bias"], name, ("axis", -1L));
            Graph.Node[^1].Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-12f });
            return node;
        }

        /// <summary>torch's nn.Linear as exported: MatMul with the (in, out) weight initializer, then Add of the bias.</summary>
        public string Dense(string x, int cin, int cout, string name)
        {
            string y = OnnxBuilder.Node(Graph.Node, "MatMul", [x, Weight($"{name}_W", [cin, cout], cin)], $"{name}_matmul");
            return OnnxBuilder.Node(Graph.Node, "Add", [y, Weight($"{name}_B", [cout], 0)], name);
        }

        /// <summary>Seeded uniform weights of variance 1/<paramref name="fanIn"/> (0: zeros).</summary>
        public string Weight(string name, long[] dims, int fanIn)
        {
            var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
            float limit = fanIn > 0 ? MathF.Sqrt(3f / fanIn) : 0;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = limit * (2 * _random.NextSingle() - 1);
            }

            Graph.Initializer.Add(OnnxBuilder.FloatTensor(name, values, dims));
            return name;
        }

        /// <summary>An int64 Constant node (a shape, axes or an index; a scalar where <paramref name="scalar"/>).</summary>
        public string Ints(string name, long[] values, bool scalar = false)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
            if (!scalar)
            {
                t.Dims.Add(values.Length);
            }

            return OnnxBuilder.Node(Graph.Node, "Constant", [], name, ("value", t));
        }

        /// <summary>A float scalar Constant node: a <c>value</c> tensor, or the <c>value_float</c> attribute.</summary>
        public string Float(string name, float value, bool valueFloat = false)
        {
            if (!valueFloat)
            {
                return OnnxBuilder.Node(Graph.Node, "Constant", [], name, ("value", OnnxBuilder.FloatTensor(name, [value], [])));
            }

            Graph.Node.Add(new NodeProto
            {
                OpType = "Constant", Name = name, Output = { name },
                Attribute = { new AttributeProto { Name = "value_float", Type = AttributeProto.Types.AttributeType.Float, F = value } },
            });
            return name;
        }
    }
}
