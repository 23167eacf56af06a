namespace Pipeline.Tests.Support;

/// <summary>Small class-per-folder datasets made in a temp folder from the shared photos.</summary>
internal static class Datasets
{
    /// <summary>Copies <paramref name="perClass"/> training photos of each class (cat, dog) into <paramref name="root"/>.</summary>
    public static string SmallCatsDogs(string root, int perClass, int first = 1, string split = "train")
    {
        foreach (var cls in new[] { "cat", "dog" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = first; i < first + perClass; i++)
            {
                File.Copy(TestPaths.Photo(split, cls, i), Path.Combine(root, cls, $"{cls}.{i}.jpg"));
            }
        }

        return root;
    }

    /// <summary>
    /// Every <paramref name="every"/>th of the shared photos in each split and class folder, by name (every 20th: 80 of
    /// 1,600, that is 25 train, 5 validation and 10 test photos of each class).
    /// </summary>
    public static List<string> EveryNthSharedPhoto(int every) =>
        Directory.EnumerateDirectories(TestPaths.CatsVsDogs).Order(StringComparer.Ordinal).SelectMany(split => Directory.EnumerateDirectories(split).Order(StringComparer.Ordinal))
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Where((_, i) => i % every == 0)).ToList();

    /// <summary>Symbolic links to <paramref name="photos"/> (shared photos) under <paramref name="root"/>, laid out as the shared tree.</summary>
    public static string LinkTree(string root, IEnumerable<string> photos)
    {
        foreach (var file in photos)
        {
            string link = Path.Combine(root, Path.GetRelativePath(TestPaths.CatsVsDogs, file));
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, file);
        }

        return root;
    }
}
