using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Onnx;

namespace Pipeline.Extractor.Onnx;

/// <summary>
/// Weights an ONNX file keeps in other files (<c>onnx.save_model(..., save_as_external_data=True)</c>, torch.onnx.export
/// of a model over 2 GB): each such tensor names a <c>location</c> relative to the model's own folder, an offset and a
/// length. Resolved beside the model file, never the working directory; a location that is absolute or climbs out of
/// that folder is refused, as is a file too short for what the tensor reads.
/// </summary>
internal static class ExternalData
{
    /// <summary>The most bytes one protobuf message can hold (C#'s protobuf sizes them in int).</summary>
    private const long MessageLimit = int.MaxValue;

    /// <summary>Every tensor of the model whose values are stored outside it: initializers, Constant attributes, subgraphs'.</summary>
    public static IEnumerable<TensorProto> Tensors(ModelProto model) => Tensors(model.Graph).Where(IsExternal);

    /// <summary>The distinct external files the model reads, as full paths, ordered by location (the order the identity hashes them).</summary>
    public static IReadOnlyList<string> Files(ModelProto model, string modelFile) =>
        Tensors(model).Select(t => Resolve(t, modelFile).Path).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The identity of every byte the model reads: SHA-256 of the ONNX file alone when it has no external data (as it
    /// always was), else of the file followed by, for each external file in location order, its name, a NUL and its bytes.
    /// </summary>
    /// <param name="hash">The hash with the ONNX file's bytes already in it (<see cref="OnnxGraph.Parse(string, IncrementalHash?)"/>).</param>
    public static string Sha256(IncrementalHash hash, IReadOnlyList<string> files, string modelFile)
    {
        string folder = Folder(modelFile);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file).Replace('\\', '/') + "\0"));
            using var stream = File.OpenRead(file);
            byte[] buffer = new byte[1 << 20];
            for (int n; (n = stream.Read(buffer)) > 0;)
            {
                hash.AppendData(buffer, 0, n);
            }
        }

        return Extractor.Files.Sha256.ToHex(hash.GetHashAndReset());
    }

    /// <summary>Checks every external tensor's location and extent (the file exists beside the model and is long enough).</summary>
    public static void Validate(ModelProto model, string modelFile)
    {
        foreach (var t in Tensors(model))
        {
            _ = Resolve(t, modelFile);
        }
    }

    /// <summary>
    /// Reads every external tensor's bytes into the model itself, so it can be rewritten (fp16, int8), written out or
    /// run from its bytes alone. Refused when the weights would not fit in one ONNX message (2 GB).
    /// </summary>
    public static void Inline(ModelProto model, string modelFile)
    {
        var tensors = Tensors(model).ToList();
        if (tensors.Count == 0)
        {
            return;
        }

        var resolved = tensors.Select(t => (Tensor: t, Where: Resolve(t, modelFile))).ToList();
        long total = resolved.Sum(r => r.Where.Length) + model.CalculateSize();
        if (total >= MessageLimit)
        {
            Throw.BadModel(modelFile, $"its weights in external data ({total / 1e9:0.0} GB with the graph) are more than one ONNX message holds (2 GB), which this step must rewrite in memory",
                "run it at precision fp32 or tf32, which read the weights from their files as they are");
        }

        foreach (var (t, w) in resolved)
        {
            byte[] bytes = new byte[w.Length];
            using (var stream = File.OpenRead(w.Path))
            {
                stream.Seek(w.Offset, SeekOrigin.Begin);
                stream.ReadExactly(bytes);
            }

            t.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
            t.ExternalData.Clear();
            t.DataLocation = TensorProto.Types.DataLocation.Default;
        }
    }

    /// <summary>The model's folder: where its external data must lie.</summary>
    public static string Folder(string modelFile) => Path.GetDirectoryName(Path.GetFullPath(modelFile)) ?? Path.GetFullPath(".");

    private static bool IsExternal(TensorProto t) => t.DataLocation == TensorProto.Types.DataLocation.External;

    private static IEnumerable<TensorProto> Tensors(GraphProto g)
    {
        foreach (var t in g.Initializer)
        {
            yield return t;
        }

        foreach (var s in g.SparseInitializer)
        {
            yield return s.Values;
            yield return s.Indices;
        }

        foreach (var a in g.Node.SelectMany(n => n.Attribute))
        {
            if (a.T is { } t)
            {
                yield return t;
            }

            foreach (var x in a.Tensors)
            {
                yield return x;
            }

            foreach (var sub in (a.G is null ? a.Graphs : a.Graphs.Prepend(a.G)).SelectMany(Tensors))
            {
                yield return sub;
            }
        }
    }

    /// <summary>Where one tensor's bytes are: the file beside the model, the offset and the length; any problem names the tensor.</summary>
    private static (string Path, long Offset, long Length) Resolve(TensorProto t, string modelFile)
    {
        var keys = t.ExternalData.GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        string folder = Folder(modelFile);
        string location = keys.GetValueOrDefault("location") ?? "";
        if (location.Length == 0)
        {
            Throw.BadModel(modelFile, $"tensor '{t.Name}' is stored in external data but names no location", "save the model again with its external data (onnx.save_model(..., save_as_external_data=True))");
        }

        if (Path.IsPathRooted(location))
        {
            Throw.BadModel(modelFile, $"tensor '{t.Name}' reads its weights from '{location}', an absolute path; ONNX external data is a path relative to the model's folder",
                "save the model again with its weights beside it (a relative location)");
        }

        string path = Path.GetFullPath(Path.Combine(folder, location));
        if (!path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            Throw.BadModel(modelFile, $"tensor '{t.Name}' reads its weights from '{location}', outside the model's folder '{folder}'",
                "keep the weights file in the model's folder, with a location relative to it");
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            Throw.BadModel(modelFile, $"tensor '{t.Name}' reads its weights from '{location}', which is not in the model's folder '{folder}'",
                $"copy '{location}' next to the model file: its weights travel with it");
        }

        long offset = Number(keys, "offset", 0, t, modelFile);
        long length = Number(keys, "length", info.Length - offset, t, modelFile);
        if (offset < 0 || length < 0 || offset + length > info.Length)
        {
            Throw.BadModel(modelFile, $"tensor '{t.Name}' reads bytes {offset}–{offset + length} of '{location}', which has {info.Length}",
                $"the weights file does not belong to this model: copy the one it was saved with");
        }

        return (path, offset, length);
    }

    private static long Number(Dictionary<string, string> keys, string key, long fallback, TensorProto t, string modelFile)
    {
        if (!keys.TryGetValue(key, out var text))
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            Throw.BadModel(modelFile, $"tensor '{t.Name}' has external data {key} '{text}', not a byte count", "save the model again with its external data");
        }

        return value;
    }
}
