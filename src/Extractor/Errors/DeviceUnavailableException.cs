namespace Pipeline;

/// <summary>A device that was asked for explicitly and cannot run (CUDA libraries missing, no GPU).</summary>
public sealed class DeviceUnavailableException(string device, string reason, string? remedy = null, Exception? inner = null)
    : PipelineException($"device '{device}' is not available: {reason}", remedy, inner)
{
    /// <summary>The device asked for.</summary>
    public string Device { get; } = device;
}
