using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Extractor;

/// <summary>
/// The machine's sustained fp32 peak, measured: every core runs independent 256-bit fused
/// multiply-add chains (enough of them to hide FMA latency) for a fixed time. What fraction of it
/// a backbone reaches is the honest measure of how well extraction uses the CPU.
/// </summary>
public static class FmaPeak
{
    public static double MeasureGflops(int threads = 0, double seconds = 1.0)
    {
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        if (!Fma.IsSupported || !Avx.IsSupported)
        {
            return double.NaN;
        }

        var flops = new double[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => flops[t] = Spin(seconds)) { IsBackground = true }).ToList();
        var clock = Stopwatch.StartNew();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return flops.Sum() / clock.Elapsed.TotalSeconds / 1e9;
    }

    private static double Spin(double seconds)
    {
        // 12 independent accumulators × 8 lanes: FMA latency 4 × 2 ports ≤ 12 in flight.
        var a = Vector256.Create(1.0f);
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> r0 = a, r1 = a, r2 = a, r3 = a, r4 = a, r5 = a, r6 = a, r7 = a, r8 = a, r9 = a, r10 = a, r11 = a;
        long iterations = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 100_000; i++)
            {
                r0 = Fma.MultiplyAdd(r0, m, c); r1 = Fma.MultiplyAdd(r1, m, c); r2 = Fma.MultiplyAdd(r2, m, c); r3 = Fma.MultiplyAdd(r3, m, c);
                r4 = Fma.MultiplyAdd(r4, m, c); r5 = Fma.MultiplyAdd(r5, m, c); r6 = Fma.MultiplyAdd(r6, m, c); r7 = Fma.MultiplyAdd(r7, m, c);
                r8 = Fma.MultiplyAdd(r8, m, c); r9 = Fma.MultiplyAdd(r9, m, c); r10 = Fma.MultiplyAdd(r10, m, c); r11 = Fma.MultiplyAdd(r11, m, c);
            }

            iterations += 100_000;
        }

        var sum = r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + r9 + r10 + r11;
        GC.KeepAlive(sum);
        return iterations * 12.0 * 8 * 2;
    }
}
