namespace Pipeline.Extractor.Images;

internal sealed partial class Preprocessor
{
    /// <summary>
    /// Plain scalar version of <see cref="Run(ReadOnlySpan{byte}, int, int, Span{float}, PreprocessScratch, ViewTransform?)"/>:
    /// for every output value, the 2-D sum over the separable triangle weights, then
    /// <c>(v * Scale - mean) / std</c> written out literally. The fast path is tested against it.
    /// </summary>
    public void RunScalar(ReadOnlySpan<byte> rgba, int srcW, int srcH, Span<float> slot)
    {
        var p = Preprocessing;
        int dstW = p.Width, dstH = p.Height;
        var rect = SourceRect(srcW, srcH, dstW, dstH, p.Resize);
        var hk = new FilterKernel().Build(rect.X, rect.Width, srcW, dstW);
        var vk = new FilterKernel().Build(rect.Y, rect.Height, srcH, dstH);
        for (int y = 0; y < dstH; y++)
        {
            for (int x = 0; x < dstW; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int channel = _sourceChannel[c];
                    double v = 0;
                    for (int ty = 0; ty < vk.Count[y]; ty++)
                    {
                        double rowSum = 0;
                        int sy = vk.Start[y] + ty;
                        for (int tx = 0; tx < hk.Count[x]; tx++)
                        {
                            byte b = rgba[((sy * srcW) + hk.Start[x] + tx) * 4 + channel];
                            rowSum += hk.Weights[x * hk.MaxTaps + tx] * b;
                        }

                        v += vk.Weights[y * vk.MaxTaps + ty] * rowSum;
                    }

                    int i = TensorIndex(c, y * dstW + x);
                    slot[i] = (float)((v * _scalePlane[i]) + _offsetPlane[i]);
                }
            }
        }

    }
}
