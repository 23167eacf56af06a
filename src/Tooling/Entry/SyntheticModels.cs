namespace Pipeline.Tooling;

/// <summary><c>pipeline models synth</c>: backbones with exactly a real network's topology and seeded random weights, marked synthetic.</summary>
public static class SyntheticModels
{
    /// <summary>Writes the <paramref name="kind"/> backbone with weights drawn from <paramref name="seed"/> to <paramref name="output"/> (atomically).</summary>
    /// <param name="kind">Which topology.</param>
    /// <param name="output">The .onnx file to write.</param>
    /// <param name="seed">Seed of the random weights.</param>
    /// <param name="classifier"><see cref="SyntheticModel.Vgg16"/> only: add the full classifier (fc6, fc7, fc8, softmax) after pool5, as the ONNX Model Zoo ships it.</param>
    public static void Write(SyntheticModel kind, string output, int seed, bool classifier = false)
    {
        var model = kind switch
        {
            SyntheticModel.Vgg16 => SynthModels.Vgg16(seed, classifier),
            SyntheticModel.MobileNetLike => SynthModels.MobileNetLike(seed),
            SyntheticModel.SqueezeNetLike => SynthModels.SqueezeNetLike(seed),
            SyntheticModel.Vit => SynthModels.Vit(seed),
            _ => SynthModels.TinyCnn(seed),
        };
        SynthModels.Save(model, output);
    }
}
