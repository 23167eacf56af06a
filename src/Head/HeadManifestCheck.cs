using System.Globalization;

namespace Pipeline.Head;

/// <summary>
/// What a head folder must hold before anything is built from it: a <c>head.json</c> from anyone may be
/// tampered with or damaged, so every field the head is rebuilt from is checked and named, and the sizes it
/// declares are checked against <c>weights.bin</c>'s length before a single layer is allocated (a declared
/// <c>hidden: [3000000]</c> would otherwise ask for gigabytes before the mismatch shows).
/// </summary>
internal static class HeadManifestCheck
{
    public const string FormatName = "pipeline-head";
    public const int CurrentFormatVersion = 1;

    // TorchSharp's module.save: per tensor a LEB128 name length, the name, dtype, rank and dims, then raw data.
    private const long OverheadPerTensor = 256;
    private const long OverheadFixed = 64;

    /// <summary>Throws <see cref="HeadFileException"/> naming the first field that is missing or out of range.</summary>
    public static void Validate(string dir, HeadManifest? m)
    {
        if (m is null)
        {
            throw Bad(dir, "head.json is empty (null)");
        }

        if (m.Format != FormatName)
        {
            throw Bad(dir, $"head.json's format is '{m.Format}', not '{FormatName}' (not a head written by this tool)");
        }

        if (m.FormatVersion is < 1 or > CurrentFormatVersion)
        {
            throw Bad(dir, $"head.json's formatVersion is {m.FormatVersion}; this tool reads 1 to {CurrentFormatVersion}", "upgrade the tool, or train the head again");
        }

        if (m.Classes is null || m.Classes.Count < 2 || m.Classes.Any(c => string.IsNullOrEmpty(c)))
        {
            throw Bad(dir, $"head.json's classes {Show(m.Classes)} are not a list of two or more names");
        }

        if (m.Features?.Shape is not { } shape || shape.Count == 0 || shape.Any(d => d < 1) || shape.Aggregate(1L, (a, d) => a * d) > int.MaxValue)
        {
            throw Bad(dir, $"head.json's features.shape {Show(m.Features?.Shape)} is not a list of positive sizes whose product fits in 2^31");
        }

        if (m.Backbone is not { } b || b.Name is null || b.File is null || b.Sha256 is null || b.FeatureTensor is null)
        {
            throw Bad(dir, "head.json's backbone (name, file, sha256, featureTensor) is missing or incomplete");
        }

        if (b.Quantized is { } q && (q.Calibration is null || q.File is null || q.Sha256 is not { Length: 64 } || !q.Sha256.All(char.IsAsciiHexDigitLower)))
        {
            throw Bad(dir, "head.json's backbone.quantized (calibration, file, sha256 of 64 hex digits) is incomplete");
        }

        if (m.Preprocessing is not { } p || p.Mean is null || p.Std is null || p.Width < 1 || p.Height < 1)
        {
            throw Bad(dir, "head.json's preprocessing (width, height, mean, std) is missing or out of range");
        }

        if (m.Options is not { } o || o.Hidden is null)
        {
            throw Bad(dir, "head.json's options.hidden is missing");
        }

        if (o.Hidden.Any(h => h < 1))
        {
            throw Bad(dir, $"head.json's options.hidden {Show(o.Hidden)} holds a width below 1");
        }

        if (!(o.Dropout is >= 0 and < 1))
        {
            throw Bad(dir, $"head.json's options.dropout is {o.Dropout.ToString(CultureInfo.InvariantCulture)}, outside 0 up to 1");
        }

        if (m.History is null)
        {
            throw Bad(dir, "head.json's history is missing");
        }
    }

    /// <summary>Refuses a weights file whose length cannot hold the layers head.json declares, before any allocation.</summary>
    public static void CheckWeightsLength(string dir, string weightsPath, HeadManifest m)
    {
        // Tensors: mean (F), inv_std (F), then per Linear its weight (out, in) and bias (out).
        long features = m.Features.Shape.Aggregate(1L, (a, d) => a * d);
        long floats = 2 * features, tensors = 2, width = features;
        foreach (int h in m.Options.Hidden.Append(m.Classes.Count))
        {
            floats += width * h + h;
            tensors += 2;
            width = h;
        }

        long need = floats * sizeof(float);
        long length;
        using (var fs = new FileStream(weightsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            length = fs.Length;   // the target's length when weights.bin is a link
        }

        if (length < need || length > need + OverheadFixed + (tensors * OverheadPerTensor))
        {
            throw Bad(dir, $"weights.bin is {length:N0} bytes, but head.json declares {features:N0} features, hidden [{string.Join(",", m.Options.Hidden)}] and {m.Classes.Count} classes: {need:N0} bytes of weights",
                "the two files are from different heads or damaged: train the head again");
        }
    }

    private static string Show<T>(IEnumerable<T>? values) => values is null ? "null" : $"[{string.Join(",", values)}]";

    private static HeadFileException Bad(string dir, string problem, string remedy = "train the head again (head.json is damaged or was edited)") =>
        new(dir, problem, remedy);
}
