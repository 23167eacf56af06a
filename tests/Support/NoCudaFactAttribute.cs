namespace Pipeline.Tests.Support;

/// <summary>
/// A fact about a machine where ONNX Runtime can use no CUDA device. Where it can, the test is reported as skipped,
/// with the reason, instead of returning without asserting: xunit 2.9 has no skip from inside a test (its
/// <c>SkipException</c> works in v3 only), so the attribute decides, once, when the tests are discovered.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NoCudaFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> CudaUsable = new(() =>
    {
        using var probe = Backbone.Load(new BackboneSpec { Device = DeviceRequest.Auto });
        return probe.IsCuda;
    });

    public NoCudaFactAttribute()
    {
        if (CudaUsable.Value)
        {
            Skip = "a CUDA device is usable on this machine";
        }
    }
}
