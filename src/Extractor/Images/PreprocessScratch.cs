namespace Pipeline.Extractor.Images;

/// <summary>Per-worker buffers of the fast preprocessing path; they grow, and are given back after an outsized image (<see cref="ScratchBuffer"/>).</summary>
internal sealed class PreprocessScratch
{
    private float[] _rows = [];
    private float[] _acc = [];
    private float[] _out = [];
    private float[] _image = [];

    public FilterKernel Horizontal { get; } = new();

    public FilterKernel Vertical { get; } = new();

    public Span<float> Rows(int length)
    {
        return ScratchBuffer.Fit(ref _rows, length, doubling: true);
    }

    public Span<float> Image(int length)
    {
        return ScratchBuffer.Fit(ref _image, length);
    }

    public Span<float> OutputRow(int length)
    {
        return ScratchBuffer.Fit(ref _out, length);
    }

    public Span<float> Accumulator(int length)
    {
        return ScratchBuffer.Fit(ref _acc, length, doubling: true);
    }
}
