
namespace Pipeline.Extractor.Cache;

/// <summary>
/// One writer per cache folder: an exclusive lock on <c>.lock</c> inside it (flock on Linux, as
/// .NET maps <see cref="FileShare.None"/>), held while a split is extracted. A second
/// <c>extract</c> into the same folder stops at once instead of replacing the first one's rows.
/// The lock dies with its process, so a killed run never leaves a stale lock behind.
/// </summary>
internal sealed class CacheLock : IDisposable
{
    public const string FileName = ".lock";
    private readonly FileStream _stream;

    private CacheLock(FileStream stream) => _stream = stream;

    public static CacheLock Acquire(string dir)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, FileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            stream.Write(pid);
            stream.Flush();
            return new CacheLock(stream);
        }
        catch (IOException e)
        {
            Throw.CacheLocked(dir, e);
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
