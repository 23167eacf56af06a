using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Pipeline.Bench;

/// <summary>
/// One inference call at batch 1, 8 and 32 on the CPU, for the packaged ResNet18 (4.1 GFLOPs per
/// image), the same ResNet18 quantized to int8 (<c>models quantize</c>: ONNX Runtime's integer kernels)
/// and a synthetic VGG16 conv base (30.7 GFLOPs; random weights: speed only).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class InferenceBenchmarks
{
    private Backbone _backbone = null!;
    private float[] _input = null!;
    private float[] _output = null!;

    public static IEnumerable<Case> Backbones() => [new("resnet18", "resnet18"), new("resnet18-int8", "int8"), new("vgg16-synthetic", "vgg16")];

    [ParamsSource(nameof(Backbones))]
    public Case Model { get; set; } = null!;

    [Params(1, 8, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var spec = Model.Value switch
        {
            "vgg16" => new BackboneSpec { Backbone = "vgg16", Model = BenchData.SyntheticVgg16(), Device = DeviceRequest.Cpu },
            "int8" => new BackboneSpec { Backbone = BenchData.QuantizedResNet18(), Device = DeviceRequest.Cpu },
            _ => new BackboneSpec { Device = DeviceRequest.Cpu },
        };
        _backbone = Backbone.Load(spec);
        _input = new float[Batch * _backbone.InputLength];
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (i % 255) - 120f;
        }

        _output = new float[Batch * _backbone.FeatureLength];
    }

    [GlobalCleanup]
    public void Cleanup() => _backbone.Dispose();

    [Benchmark]
    public void Run() => _backbone.Run(_input, Batch, _output);
}
