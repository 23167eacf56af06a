using System.CommandLine;
using Pipeline.Cli.Options;

namespace Pipeline.Cli.Commands;

/// <summary><c>models quantize</c>: a calibrated int8 backbone for the CPU.</summary>
internal static class QuantizeCommand
{
    public static readonly Option<string> Calibration = OptionValues.Text("--calibration", "DIR",
        "Images like the ones the backbone will see (a training split): a deterministic sample of them calibrates the activation ranges.", required: true);

    public static readonly Option<string> Out = OptionValues.Text("--out", "FILE", "The quantized model file to write.", required: true);

    public static readonly Option<CalibrationMethod> Method = OptionValues.Parsed("--calibrate", SettingNames.Help<CalibrationMethod>(),
        "How each activation's range is read: minmax (the default: closest to fp32 on ResNet18) or percentile (0.01 % to 99.99 %).",
        text => SettingNames.Parse<CalibrationMethod>("calibrate", text), () => TransferLearning.DefaultCalibrationMethod);

    public static readonly Option<int> WeightBits = OptionValues.Int("--weight-bits", "7|8",
        "Weight precision: 7 (the default) computes the same on every x86 CPU (no int16 saturation on AVX2 without VNNI); 8 uses the full int8 range.", TransferLearning.DefaultWeightBits);

    /// <summary>Below this median cosine to fp32 the int8 file is flagged: ResNet18 gives 0.996 on the shared photos.</summary>
    private const double LowFidelity = 0.98;

    public static Command Create()
    {
        var command = new Command("quantize", """
            A calibrated int8 copy of a backbone (QDQ: per-channel int8 weights, uint8 activations), for the CPU's integer kernels.
            The file records its preprocessing and feature tensor: extract, predict and export take it as --backbone FILE, with no other option.
            Example: pipeline models quantize --backbone resnet18 --calibration data/train --out resnet18-int8.onnx
            """);
        Compose.Add(command, [.. BackboneOptions.Source, BackboneOptions.Threads, Calibration, Out, SharedOptions.Images, Method, WeightBits]);
        command.SetAction(r =>
        {
            // Through the library's entry point, as every command that makes something.
            var report = new TransferLearning { Backbone = BackboneOptions.Bind(r), Log = line => Console.Error.WriteLine(line) }
                .Quantize(r.GetValue(Calibration)!, r.GetValue(Out)!, r.GetValue(SharedOptions.Images), r.GetValue(Method), r.GetValue(WeightBits));
            foreach (var s in report.Skipped)
            {
                Console.Error.WriteLine($"skipped {s}");
            }

            Console.Out.WriteLine($"{report.Output}: {report.Description}");
            Console.Out.WriteLine($"ONNX Runtime runs {report.IntegerKernels} of {report.WeightedOps} convolutions and matrix products as integer kernels" +
                (report.FloatWeightedOps.Count > 0 ? $"; in float: {string.Join(", ", report.FloatWeightedOps)}" : ""));
            if (report.FloatOps.Count > 0)
            {
                Console.Out.WriteLine($"other ops that run in float: {string.Join(", ", report.FloatOps)}");
            }

            Console.Out.WriteLine(report.FidelityImages > 0
                ? $"fidelity: cosine of int8 to fp32 features over {report.FidelityImages} images outside the calibration sample: median {report.MedianCosine:F4}, lowest {report.MinCosine:F4}"
                : "fidelity: no image outside the calibration sample to measure it on");
            if (report.FidelityImages > 0 && report.MedianCosine < LowFidelity)
            {
                Console.Error.WriteLine($"warning: int8 features are far from fp32's (median cosine {report.MedianCosine:F3} < {LowFidelity}); try --weight-bits 8, more --images, or keep fp32 for this model");
            }

            Console.Out.WriteLine($"{report.Seconds:F1} s");
            return 0;
        });
        return command;
    }
}
