
namespace Pipeline.Head;

/// <summary>
/// A head's two files, <c>head.json</c> and <c>weights.bin</c>, replaced as a pair. Each is first written
/// whole as <c>NAME.new</c>; then <c>head.commit</c> (one atomic rename) marks the pair complete; then each
/// <c>.new</c> is renamed over its file and the mark removed. A kill before the mark leaves the old pair
/// (its <c>.new</c> files are deleted by the next save); a kill after it leaves the new pair, whose
/// remaining <c>.new</c> file a reader takes in place of the old one. Never the new weights beside the old
/// classes and backbone. The folder itself is never renamed, so other files in it stay where they are.
/// </summary>
internal static class HeadFiles
{
    public const string CommitFile = "head.commit";
    public const string NewSuffix = ".new";

    private static readonly string[] PairFiles = [TrainedHead.ManifestFile, TrainedHead.WeightsFile];

    /// <summary>A test's stand-in for a kill: called with the name of each step as it is about to start.</summary>
    internal static Action<string>? BeforeStep { get; set; }

    /// <summary>Writes the pair into <paramref name="dir"/>: <paramref name="writeWeights"/> writes weights to the path it is given.</summary>
    public static void Write(string dir, Action<string> writeWeights, byte[] manifest)
    {
        Directory.CreateDirectory(dir);
        Recover(dir);
        Step("weights");
        AtomicFile.WriteVia(Path.Combine(dir, TrainedHead.WeightsFile + NewSuffix), writeWeights);
        Step("manifest");
        AtomicFile.Write(Path.Combine(dir, TrainedHead.ManifestFile + NewSuffix), manifest);
        Step("commit");
        AtomicFile.Write(Path.Combine(dir, CommitFile), "pair complete\n"u8);
        foreach (var name in PairFiles)
        {
            Step("rename " + name);
            File.Move(Path.Combine(dir, name + NewSuffix), Path.Combine(dir, name), overwrite: true);
        }

        Step("uncommit");
        File.Delete(Path.Combine(dir, CommitFile));
    }

    /// <summary>The file a reader takes for <paramref name="name"/> (head.json or weights.bin): its committed <c>.new</c> copy when a save was cut short after the mark.</summary>
    public static string Current(string dir, string name)
    {
        string pending = Path.Combine(dir, name + NewSuffix);
        return File.Exists(Path.Combine(dir, CommitFile)) && File.Exists(pending) ? pending : Path.Combine(dir, name);
    }

    /// <summary>Finishes a committed save that was cut short, or throws away an uncommitted one and any stray temporaries.</summary>
    internal static void Recover(string dir)
    {
        bool committed = File.Exists(Path.Combine(dir, CommitFile));
        foreach (var name in PairFiles)
        {
            string pending = Path.Combine(dir, name + NewSuffix);
            if (committed && File.Exists(pending))
            {
                File.Move(pending, Path.Combine(dir, name), overwrite: true);
            }

            foreach (var stray in new[] { pending, pending + ".tmp", Path.Combine(dir, name + ".tmp") })
            {
                File.Delete(stray);
            }
        }

        File.Delete(Path.Combine(dir, CommitFile));
        File.Delete(Path.Combine(dir, CommitFile + ".tmp"));
    }

    private static void Step(string name) => BeforeStep?.Invoke(name);
}
