namespace Pipeline.Extractor.Files;

/// <summary>
/// The one way every file the tool writes reaches disk (manifests, .npy parts, journals' state, heads,
/// reports): written to <c>PATH.tmp</c>, flushed, then renamed over <c>PATH</c>. A kill or a full disk
/// leaves the old file or the new one, never half of either, and no <c>.tmp</c> behind on a failed write.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Streams <paramref name="body"/> into the file (large .npy parts, TorchSharp weights).</summary>
    public static void Write(string path, Action<Stream> body)
    {
        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                body(fs);
                fs.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>For a writer that only takes a path (TorchSharp's <c>save</c>, ScottPlot's PNG): it writes <c>PATH.tmp</c>, which is then renamed.</summary>
    public static void WriteVia(string path, Action<string> write)
    {
        string tmp = path + ".tmp";
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(tmp);
            throw;
        }
    }
}
