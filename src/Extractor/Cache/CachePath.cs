
namespace Pipeline.Extractor.Cache;

/// <summary>
/// Paths that a manifest names. A cache folder may come from anyone, so a part path must be a plain
/// relative name inside the cache: segments of letters, digits, '.', '_' and '-', none of them
/// '.' or '..', no root. Anything else is refused before any file is touched, so a manifest can
/// neither read outside its cache nor tell whether such a file exists.
/// </summary>
internal static class CachePath
{
    public static string Resolve(string cacheDir, string relative)
    {
        if (!IsPlainRelative(relative))
        {
            Throw.BadCache(cacheDir, $"manifest names the part '{relative}', which is not a plain relative path inside the cache",
                "a manifest may only name files in its own folder: re-extract, or merge the shards again");
        }

        return Path.Combine(cacheDir, relative);
    }

    public static bool IsPlainRelative(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 512)
        {
            return false;
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
