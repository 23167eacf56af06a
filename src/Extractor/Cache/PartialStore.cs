using System.Text;
using System.Text.Json;

namespace Pipeline.Extractor.Cache;

/// <summary>
/// The resumable state of an unfinished extraction, in <c>CACHE/.partial/</c>:
/// <c>state.json</c> (what is being computed: fingerprint and row plan), <c>features.f32</c>
/// (rows × length float32, preallocated, written in place), and <c>journal.jsonl</c>, one line per
/// committed batch, appended only after that batch's rows are flushed to disk. A SIGKILL at any
/// point loses at most the batch in flight; a torn last journal line is ignored.
/// </summary>
internal sealed class PartialStore : IDisposable
{
    public const string FolderName = ".partial";
    private readonly FileStream _features;
    /// <summary>
    /// Test hook (tests' ResumeTests): with <c>PIPELINE_TEST_HALT_AFTER_COMMITS=n</c> in the environment the process says
    /// so on stderr once its n-th batch is committed, then stops there for good, so a test kills it at a known point
    /// instead of polling the journal. Unset (always, outside that test): no effect.
    /// </summary>
    internal const string HaltAfterCommitsVariable = "PIPELINE_TEST_HALT_AFTER_COMMITS";

    private static readonly int HaltAfterCommits =
        int.TryParse(Environment.GetEnvironmentVariable(HaltAfterCommitsVariable), System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : 0;

    private readonly FileStream _journal;
    private int _commits;
    private readonly int _length;

    private PartialStore(string folder, FileStream features, FileStream journal, int length, RowState?[] rows)
    {
        Folder = folder;
        _features = features;
        _journal = journal;
        _length = length;
        Rows = rows;
    }

    public string Folder { get; }

    /// <summary>Committed rows: null where not computed yet.</summary>
    public RowState?[] Rows { get; }

    public int DoneCount => Rows.Count(r => r is not null);

    /// <summary>Opens the state for this fingerprint and plan, or starts a new one (an old one for another plan is discarded).</summary>
    public static PartialStore OpenOrCreate(string cacheDir, PartialState state, int length)
    {
        string folder = Path.Combine(cacheDir, FolderName);
        string statePath = Path.Combine(folder, "state.json");
        string stateJson = JsonSerializer.Serialize(state, JsonFormats.Line);
        bool resume = File.Exists(statePath) && File.ReadAllText(statePath) == stateJson;
        if (!resume)
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            AtomicFile.Write(statePath, Encoding.UTF8.GetBytes(stateJson));
        }

        var rows = new RowState?[state.Rows.Count];
        string journalPath = Path.Combine(folder, "journal.jsonl");
        if (resume && File.Exists(journalPath))
        {
            foreach (var line in File.ReadLines(journalPath))
            {
                JournalEntry? entry;
                try
                {
                    entry = JsonSerializer.Deserialize<JournalEntry>(line, JsonFormats.Line);
                }
                catch (JsonException)
                {
                    break;   // a torn last line from a kill mid-append
                }

                foreach (var r in entry?.Rows ?? [])
                {
                    if (r.Row >= 0 && r.Row < rows.Length)
                    {
                        rows[r.Row] = r;
                    }
                }
            }
        }

        var features = new FileStream(Path.Combine(folder, "features.f32"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        long size = (long)state.Rows.Count * length * sizeof(float);
        if (features.Length != size)
        {
            features.SetLength(size);
        }

        var journal = new FileStream(journalPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new PartialStore(folder, features, journal, length, rows);
    }

    /// <summary>Writes the feature rows of one batch, flushes them, then commits them in the journal.</summary>
    public void Commit(IReadOnlyList<RowState> states, ReadOnlySpan<float> features)
    {
        for (int i = 0; i < states.Count; i++)
        {
            if (states[i].Skip is null)
            {
                ReadOnlySpan<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.Slice(i * _length, _length));
                _features.Position = (long)states[i].Row * _length * sizeof(float);
                _features.Write(bytes);
            }
        }

        _features.Flush(flushToDisk: true);
        byte[] line = JsonSerializer.SerializeToUtf8Bytes(new JournalEntry(states.ToArray()), JsonFormats.Line);
        _journal.Write(line);
        _journal.WriteByte((byte)'\n');
        _journal.Flush(flushToDisk: true);
        foreach (var s in states)
        {
            Rows[s.Row] = s;
        }

        if (++_commits == HaltAfterCommits)
        {
            Console.Error.WriteLine($"halted after {_commits} committed batches ({HaltAfterCommitsVariable})");
            Console.Error.Flush();
            Thread.Sleep(Timeout.Infinite);
        }
    }

    /// <summary>Forgets committed rows (their files changed): they are computed again.</summary>
    public void Invalidate(int row) => Rows[row] = null;

    public void ReadRow(int row, Span<float> destination)
    {
        _features.Flush();
        RandomAccess.Read(_features.SafeFileHandle, System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination[.._length]), (long)row * _length * sizeof(float));
    }

    public void Dispose()
    {
        _features.Dispose();
        _journal.Dispose();
    }

    public static void Delete(string cacheDir)
    {
        string folder = Path.Combine(cacheDir, FolderName);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static bool Exists(string cacheDir) => Directory.Exists(Path.Combine(cacheDir, FolderName));

    /// <summary>The fingerprint of the unfinished run in <paramref name="cacheDir"/>, or null when its state is missing or unreadable.</summary>
    public static string? ReadFingerprint(string cacheDir)
    {
        string statePath = Path.Combine(cacheDir, FolderName, "state.json");
        try
        {
            return File.Exists(statePath) ? JsonSerializer.Deserialize<PartialState>(File.ReadAllText(statePath), JsonFormats.Line)?.Fingerprint : null;
        }
        catch (JsonException)
        {
            return null;   // a damaged state is discarded by OpenOrCreate
        }
    }
}

/// <summary>What a partial extraction is computing: changing any of it starts a new one.</summary>
internal sealed record PartialState(string Fingerprint, IReadOnlyList<string> Rows);

/// <summary>One committed row: the file's size and hash when it was read, or why it was skipped.</summary>
internal sealed record RowState(int Row, long Bytes, string Sha256, string? Skip);

internal sealed record JournalEntry(RowState[] Rows);
