using Pipeline.Extractor;
using TorchSharp;

namespace Pipeline.Head;

/// <summary>Where the head trains: CUDA when torch reports it (with the CUDA libtorch package), else the CPU.</summary>
public static class TorchDevice
{
    public static torch.Device Choose(string device)
    {
        string d = device.Trim().ToLowerInvariant();
        return d switch
        {
            "auto" => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
            "cpu" => torch.CPU,
            _ when d.StartsWith("cuda", StringComparison.Ordinal) => torch.cuda.is_available()
                ? new torch.Device(d)
                : throw new PipelineException($"--device '{device}': torch reports no CUDA device",
                    "build with -p:TorchCuda=true on a machine with CUDA (see README), or pass --device cpu", ExitCode.DeviceUnavailable),
            _ => throw new PipelineException($"--device '{device}' is not auto, cpu, cuda or cuda:N", "pass --device auto, cpu or cuda", ExitCode.BadArgument),
        };
    }
}
