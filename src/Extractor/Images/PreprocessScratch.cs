namespace Pipeline.Extractor.Images;

/// <summary>Per-worker buffers of the fast preprocessing path; they only ever grow.</summary>
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
        if (_rows.Length < length)
        {
            _rows = new float[Math.Max(length, _rows.Length * 2)];
        }

        return _rows.AsSpan(0, length);
    }

    public Span<float> Image(int length)
    {
        if (_image.Length < length)
        {
            _image = new float[length];
        }

        return _image.AsSpan(0, length);
    }

    public Span<float> OutputRow(int length)
    {
        if (_out.Length < length)
        {
            _out = new float[length];
        }

        return _out.AsSpan(0, length);
    }

    public Span<float> Accumulator(int length)
    {
        if (_acc.Length < length)
        {
            _acc = new float[Math.Max(length, _acc.Length * 2)];
        }

        return _acc.AsSpan(0, length);
    }
}
