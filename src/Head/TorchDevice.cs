using TorchSharp;

namespace Pipeline.Head;

/// <summary>Where the head runs: CUDA when torch reports it (with the CUDA libtorch package), else the CPU.</summary>
internal static class TorchDevice
{
    public static torch.Device Choose(DeviceRequest device) => device.Kind switch
    {
        DeviceKind.Auto => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        DeviceKind.Cpu => torch.CPU,
        _ => torch.cuda.is_available()
            ? new torch.Device(DeviceType.CUDA, device.Index)
            : throw new DeviceUnavailableException(device.ToString(), "torch reports no CUDA device",
                "build with -p:TorchCuda=true on a machine with CUDA (see the README) for a CUDA head"),
    };
}
