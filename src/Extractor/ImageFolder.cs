using Pipeline.Extractor.Internals;

namespace Pipeline.Extractor;

/// <summary>One image of a dataset: its path relative to the split folder, and its class index.</summary>
public sealed record ImageItem(string RelativePath, int Label);

/// <summary>One split of a dataset (or the whole of a flat one), class-per-folder.</summary>
public sealed record DatasetSplit(string Name, string Root, IReadOnlyList<ImageItem> Items, IReadOnlyList<string> NotImages);

/// <summary>
/// A labelled image folder: either class-per-folder (<c>DIR/cat/*.jpg</c>), or a root of split
/// folders (<c>train</c>, <c>validation</c>/<c>val</c>, <c>test</c>), each class-per-folder,
/// sharing one class list. Listing is sorted (ordinal), so the same folder lists the same way
/// on every machine.
/// </summary>
public sealed class ImageFolder
{
    public static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];
    private static readonly string[] SplitNames = ["train", "validation", "val", "test"];

    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<DatasetSplit> splits, bool hasSplits)
    {
        Root = root;
        Classes = classes;
        Splits = splits;
        HasSplits = hasSplits;
    }

    public string Root { get; }

    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<DatasetSplit> Splits { get; }

    /// <summary>True when the root holds split folders; then each split gets <c>CACHE/&lt;split&gt;</c>.</summary>
    public bool HasSplits { get; }

    public static bool IsImageFile(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Scans <paramref name="root"/>; a layout that cannot be a labelled dataset throws with the remedy.</summary>
    public static ImageFolder Scan(string root)
    {
        if (!Directory.Exists(root))
        {
            Throw.BadDataLayout(root, "no such folder", "pass --data a folder of class folders (DIR/cat/*.jpg, DIR/dog/*.jpg) or of split folders (train/, validation/, test/)");
        }

        root = Path.GetFullPath(root);
        var subfolders = VisibleSubfolders(root);
        var splitFolders = subfolders.Where(d => SplitNames.Contains(Path.GetFileName(d).ToLowerInvariant())).ToList();
        bool hasSplits = splitFolders.Count > 0;
        var splitRoots = hasSplits ? splitFolders : [root];

        var classes = splitRoots.SelectMany(VisibleSubfolders).Select(Path.GetFileName).OfType<string>()
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
        {
            Throw.BadDataLayout(root, "no class folders found", "put each class's images in a folder named after the class: DIR/cat/*.jpg, DIR/dog/*.jpg");
        }

        if (classes.Count == 1)
        {
            Throw.BadDataLayout(root, $"only one class folder ('{classes[0]}'); a classifier needs at least two", "add a folder for every other class beside it");
        }

        var splits = new List<DatasetSplit>();
        foreach (var splitRoot in splitRoots.OrderBy(SplitOrder))
        {
            var items = new List<ImageItem>();
            var notImages = new List<string>();
            foreach (var classDir in VisibleSubfolders(splitRoot))
            {
                int label = classes.IndexOf(Path.GetFileName(classDir));
                foreach (var file in Directory.EnumerateFiles(classDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    string rel = Path.GetRelativePath(splitRoot, file).Replace('\\', '/');
                    if (Path.GetFileName(file).StartsWith('.'))
                    {
                        continue;
                    }

                    if (IsImageFile(file))
                    {
                        items.Add(new ImageItem(rel, label));
                    }
                    else
                    {
                        notImages.Add(rel);
                    }
                }
            }

            string name = hasSplits ? Path.GetFileName(splitRoot) : "";
            if (items.Count == 0)
            {
                Throw.BadDataLayout(splitRoot, "class folders hold no images (.jpg .jpeg .png .bmp .gif .webp)", "put the images inside the class folders");
            }

            splits.Add(new DatasetSplit(name, splitRoot, items, notImages));
        }

        return new ImageFolder(root, classes, splits, hasSplits);
    }

    private static int SplitOrder(string dir) => Array.IndexOf(SplitNames, Path.GetFileName(dir).ToLowerInvariant());

    private static List<string> VisibleSubfolders(string dir) =>
        Directory.EnumerateDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
}
