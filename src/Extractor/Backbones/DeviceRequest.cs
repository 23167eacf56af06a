using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline;

/// <summary>What a device setting asks for.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when it loads, else the CPU.</summary>
    Auto,
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA; refused with the missing library named when CUDA cannot load.</summary>
    Cuda,
}

/// <summary>
/// The one parser of the device grammar: <c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. Used for
/// the backbone (ONNX Runtime) and for the head (TorchSharp).
/// </summary>
[JsonConverter(typeof(DeviceRequestJson))]
public readonly record struct DeviceRequest(DeviceKind Kind, int Index = 0)
{
    /// <summary>The grammar, as error messages and help print it.</summary>
    public const string Grammar = "auto, cpu, cuda or cuda:N";

    /// <summary>CUDA when it loads, else the CPU (the default).</summary>
    public static DeviceRequest Auto => new(DeviceKind.Auto);

    /// <summary>The CPU.</summary>
    public static DeviceRequest Cpu => new(DeviceKind.Cpu);

    /// <summary>True when CUDA was asked for by name: then failing to load it is an error, not a fallback.</summary>
    public bool IsExplicitCuda => Kind == DeviceKind.Cuda;

    /// <summary>Parses the grammar; anything else throws <see cref="InvalidSettingException"/> for <paramref name="setting"/>.</summary>
    public static DeviceRequest Parse(string text, string setting = "device")
    {
        string d = text.Trim().ToLowerInvariant();
        if (d == "auto")
        {
            return Auto;
        }

        if (d == "cpu")
        {
            return Cpu;
        }

        if (d == "cuda")
        {
            return new(DeviceKind.Cuda);
        }

        if (d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d[5..], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            return new(DeviceKind.Cuda, index);
        }

        throw new InvalidSettingException(setting, text, Grammar);
    }

    /// <summary>The request in the grammar it was parsed from (<c>auto</c>, <c>cpu</c>, <c>cuda:1</c>).</summary>
    public override string ToString() => Kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        _ => Index == 0 ? "cuda" : $"cuda:{Index}",
    };
}

/// <summary>Writes a <see cref="DeviceRequest"/> as its text ("auto", "cuda:1"), as head.json always has.</summary>
internal sealed class DeviceRequestJson : JsonConverter<DeviceRequest>
{
    public override DeviceRequest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DeviceRequest.Parse(reader.GetString() ?? "auto");

    public override void Write(Utf8JsonWriter writer, DeviceRequest value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
