using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipeline.Tooling;

/// <summary>
/// The machine's sustained fp32 peak, measured: every core runs independent 512-bit (or 256-bit
/// without AVX-512) fused multiply-add chains (enough of them to hide FMA latency) for a fixed time. What fraction of it
/// a backbone reaches is the honest measure of how well extraction uses the CPU.
/// </summary>
internal static class FmaPeak
{
    private static double _sink;

    public static double MeasureGflops(int threads = 0, double seconds = 1.0)
    {
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        if (!Fma.IsSupported || !Avx.IsSupported)
        {
            return double.NaN;
        }

        // Each thread's own rate, summed: thread start-up skew does not count against the peak.
        var rates = new double[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            Spin(0.05);   // warm the core up first
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            double flops = Spin(seconds);
            rates[t] = flops / clock.Elapsed.TotalSeconds;
        })
        { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return rates.Sum() / 1e9;
    }

    private static double Spin(double seconds)
    {
        bool wide = Avx512F.IsSupported;   // ONNX Runtime's kernels use 512-bit FMAs where they exist: so must the peak
        float total = 0;
        long iterations = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            total += wide
                ? Chains512(100_000, Vector512.Create(0.999999f), Vector512.Create(1e-7f)).ToScalar()
                : Chains(100_000, Vector256.Create(0.999999f), Vector256.Create(1e-7f)).ToScalar();
            iterations += 100_000;
        }

        // The result must be observable, or the JIT removes every FMA (it did, with GC.KeepAlive).
        Interlocked.Exchange(ref _sink, _sink + total);
        return iterations * 12.0 * (wide ? 16 : 8) * 2;
    }

    /// <summary>12 independent FMA chains × 8 lanes, all in registers (FMA latency 4 × 2 ports ≤ 12 in flight).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Chains(int n, Vector256<float> m, Vector256<float> c)
    {
        Vector256<float> r0 = c, r1 = c, r2 = c, r3 = c, r4 = c, r5 = c, r6 = c, r7 = c, r8 = c, r9 = c, r10 = c, r11 = c;
        for (int i = 0; i < n; i++)
        {
            r0 = Fma.MultiplyAdd(r0, m, c); r1 = Fma.MultiplyAdd(r1, m, c); r2 = Fma.MultiplyAdd(r2, m, c); r3 = Fma.MultiplyAdd(r3, m, c);
            r4 = Fma.MultiplyAdd(r4, m, c); r5 = Fma.MultiplyAdd(r5, m, c); r6 = Fma.MultiplyAdd(r6, m, c); r7 = Fma.MultiplyAdd(r7, m, c);
            r8 = Fma.MultiplyAdd(r8, m, c); r9 = Fma.MultiplyAdd(r9, m, c); r10 = Fma.MultiplyAdd(r10, m, c); r11 = Fma.MultiplyAdd(r11, m, c);
        }

        return r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + r9 + r10 + r11;
    }

    /// <summary>The same with 16 lanes (AVX-512).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining | System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> Chains512(int n, Vector512<float> m, Vector512<float> c)
    {
        Vector512<float> r0 = c, r1 = c, r2 = c, r3 = c, r4 = c, r5 = c, r6 = c, r7 = c, r8 = c, r9 = c, r10 = c, r11 = c;
        for (int i = 0; i < n; i++)
        {
            r0 = Avx512F.FusedMultiplyAdd(r0, m, c); r1 = Avx512F.FusedMultiplyAdd(r1, m, c); r2 = Avx512F.FusedMultiplyAdd(r2, m, c); r3 = Avx512F.FusedMultiplyAdd(r3, m, c);
            r4 = Avx512F.FusedMultiplyAdd(r4, m, c); r5 = Avx512F.FusedMultiplyAdd(r5, m, c); r6 = Avx512F.FusedMultiplyAdd(r6, m, c); r7 = Avx512F.FusedMultiplyAdd(r7, m, c);
            r8 = Avx512F.FusedMultiplyAdd(r8, m, c); r9 = Avx512F.FusedMultiplyAdd(r9, m, c); r10 = Avx512F.FusedMultiplyAdd(r10, m, c); r11 = Avx512F.FusedMultiplyAdd(r11, m, c);
        }

        return r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + r9 + r10 + r11;
    }
}
