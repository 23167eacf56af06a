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
}
