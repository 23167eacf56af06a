namespace Pipeline.Tooling;

/// <summary>Images per second of each stage, measured in one run on the same images and threads.</summary>
public sealed record ThroughputReport
{
    /// <summary>The backbone's name.</summary>
    public required string Backbone { get; init; }

    /// <summary>True for a backbone with random weights (<see cref="SyntheticModels"/>): its rates are for speed only.</summary>
    public required bool Synthetic { get; init; }

    /// <summary>The device it ran on, in words.</summary>
    public required string Device { get; init; }

    /// <summary>Images measured on.</summary>
    public required int Images { get; init; }

    /// <summary>Images per inference call.</summary>
    public required int Batch { get; init; }

    /// <summary>Decode workers end to end.</summary>
    public required int Workers { get; init; }

    /// <summary>ONNX Runtime's intra-op threads.</summary>
    public required int Threads { get; init; }

    /// <summary>Read, hash and decode, one thread.</summary>
    public required double DecodeImagesPerSecond { get; init; }

    /// <summary>Resize and normalise, one thread.</summary>
    public required double PreprocessImagesPerSecond { get; init; }

    /// <summary>Inference alone on pre-made inputs (median of the rounds).</summary>
    public required double InferenceImagesPerSecond { get; init; }

    /// <summary>The whole extraction path (median of the rounds).</summary>
    public required double EndToEndImagesPerSecond { get; init; }

    /// <summary>The backbone's GFLOPs per image (NaN when not known).</summary>
    public required double GflopsPerImage { get; init; }

    /// <summary>Alternating rounds of inference alone and end to end; the rates are their medians.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>End to end over inference alone: 1.0 means decoding is completely hidden.</summary>
    public double EndToEndOverInference => EndToEndImagesPerSecond / InferenceImagesPerSecond;

    /// <summary>Share of one image's single-thread time per stage (decode, preprocess, inference).</summary>
    public (double Decode, double Preprocess, double Inference) Shares
    {
        get
        {
            double d = 1 / DecodeImagesPerSecond, p = 1 / PreprocessImagesPerSecond, i = 1 / InferenceImagesPerSecond;
            double total = d + p + i;
            return (d / total, p / total, i / total);
        }
    }
}
