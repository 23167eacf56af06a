using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Pipeline.Extractor.Surgery;

/// <summary>fp32 features of images the calibration did not see, computed once; any int8 model's cosines to them.</summary>
internal sealed class Int8FidelityProbe
{
    private readonly List<float[]> _inputs = [];
    private readonly List<int> _counts = [];
    private readonly List<float[]> _reference = [];
    private readonly Preprocessing _p;
    private readonly string _feature;
    private readonly string _inputName;
    private readonly int _threads;

    public Int8FidelityProbe(ModelProto folded, Preprocessing p, string featureTensor, IReadOnlyList<string> files, int threads)
    {
        (_p, _feature, _threads) = (p, featureTensor, threads);
        _inputName = OnnxGraph.RealInputs(folded.Graph).First().Name;
        if (files.Count == 0)
        {
            return;
        }

        foreach (var (input, count) in Int8Quantizer.Batches(p, files, []))
        {
            _inputs.Add(input[..(count * input.Length / Int8Quantizer.Batch)]);
            _counts.Add(count);
        }

        _reference = Run(folded.ToByteArray());
    }

    public int Images => _counts.Sum();

    public List<double> Cosines(byte[] model)
    {
        var cosines = new List<double>();
        var features = Run(model);
        for (int b = 0; b < features.Count; b++)
        {
            int f = features[b].Length / _counts[b];
            for (int i = 0; i < _counts[b]; i++)
            {
                cosines.Add(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(_reference[b].AsSpan(i * f, f), features[b].AsSpan(i * f, f)));
            }
        }

        return cosines;
    }

    private List<float[]> Run(byte[] model)
    {
        var outputs = new List<float[]>();
        if (_inputs.Count == 0)
        {
            return outputs;
        }

        using var session = Int8Quantizer.Session(model, _threads);
        for (int b = 0; b < _inputs.Count; b++)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_inputs[b]), Int8Quantizer.Shape(_p, _counts[b]));
            using var run = new RunOptions();
            using var result = session.Run(run, [_inputName], [value], [_feature]);
            outputs.Add(result[0].GetTensorDataAsSpan<float>().ToArray());
        }

        return outputs;
    }
}
