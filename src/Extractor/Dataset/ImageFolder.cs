using Pipeline.Extractor.Platform;

namespace Pipeline.Extractor.Dataset;

/// <summary>One image of a dataset: its path relative to the split folder, and its class index.</summary>
internal sealed record ImageItem(string RelativePath, int Label);

/// <summary>One split of a dataset (or the whole of a flat one), class-per-folder.</summary>
internal sealed record DatasetSplit(string Name, string Root, IReadOnlyList<ImageItem> Items);

/// <summary>
/// A labelled image folder: either class-per-folder (<c>DIR/cat/*.jpg</c>), or a root of split
/// folders (<c>train</c>, <c>validation</c>/<c>val</c>, <c>test</c>), each class-per-folder,
/// sharing one class list. Listing is sorted (ordinal), so the same folder lists the same way
/// on every machine.
/// </summary>
internal sealed class ImageFolder
{
    /// <summary>Extensions <c>predict</c> picks from a folder; <c>extract</c> tries every visible file.</summary>
    public static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<DatasetSplit> splits, bool hasSplits, string? selection)
    {
        Selection = selection;
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

    /// <summary>The split rule and sample that chose the images (<see cref="ImageSelection.Describe"/>), or null when the folders decide.</summary>
    public string? Selection { get; }

    public static bool IsImageFile(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Scans <paramref name="root"/>; a layout that cannot be a labelled dataset throws with the remedy.</summary>
    public static ImageFolder Scan(string root, ImageSelection? selection = null)
    {
        if (!Directory.Exists(root))
        {
            Throw.BadDataLayout(root, "no such folder");
        }

        root = Path.GetFullPath(root);
        var subfolders = VisibleSubfolders(root);
        var splitFolders = subfolders.Where(d => SplitName.Folders.Contains(Path.GetFileName(d).ToLowerInvariant())).ToList();
        bool hasSplits = splitFolders.Count > 0;
        if (hasSplits && selection?.Split is { } rule)
        {
            Throw.BadDataLayout(root, $"already has split folders ({string.Join(", ", splitFolders.Select(Path.GetFileName))}); a split rule ({rule}) splits a flat class-per-folder tree",
                "drop the split rule to use the folders as they are, or point at a flat tree (DIR/cat/*.jpg, DIR/dog/*.jpg)");
        }

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
            // Folders already in the layout (the root, every split and class folder) are never walked
            // again through a link below a class folder: that is how a loop would relabel images.
            var classDirs = VisibleSubfolders(splitRoot);
            var visited = new HashSet<string>([RealPath(root), .. splitRoots.Select(RealPath), .. classDirs.Select(RealPath)], StringComparer.Ordinal);
            foreach (var classDir in classDirs)
            {
                int label = classes.IndexOf(Path.GetFileName(classDir));
                foreach (var file in FilesBelow(classDir, visited))
                {
                    // Every visible file is a candidate: the decoder caches it or lists it as skipped with
                    // its reason (a TIFF, Thumbs.db or notes.txt is reported, never silently dropped).
                    items.Add(new ImageItem(Path.GetRelativePath(splitRoot, file).Replace('\\', '/'), label));
                }
            }

            string name = hasSplits ? Path.GetFileName(splitRoot) : "";
            if (!items.Any(i => IsImageFile(i.RelativePath)))
            {
                Throw.BadDataLayout(splitRoot, "class folders hold no images (.jpg .jpeg .png .bmp .gif .webp)", "put the images inside the class folders");
            }

            splits.Add(new DatasetSplit(name, splitRoot, selection is null || selection.Split is not null ? items : selection.ApplySample(name, items)));
        }

        if (selection?.Split is not null)
        {
            // One flat tree, split by hash: every split reads from the root, paths keep their class folder.
            var flat = splits[0];
            splits = selection.Assign(root, flat.Items, classes).Select(s => new DatasetSplit(s.Name, root, s.Items)).ToList();
            hasSplits = true;
        }

        return new ImageFolder(root, classes, splits, hasSplits, selection?.Describe());
    }

    /// <summary>
    /// A flat dataset under <paramref name="root"/> whose labels come from a label file (<see cref="LabelFile"/>)
    /// instead of class folders; a split rule and a sample apply to it as to a flat class-per-folder tree.
    /// </summary>
    public static ImageFolder FromLabels(string root, LabelFile labels, ImageSelection? selection = null)
    {
        root = Path.GetFullPath(root);
        if (selection?.Split is not null)
        {
            var assigned = selection.Assign(root, labels.Items, labels.Classes).Select(s => new DatasetSplit(s.Name, root, s.Items)).ToList();
            return new ImageFolder(root, labels.Classes, assigned, true, selection.Describe());
        }

        var items = selection is null ? labels.Items : selection.ApplySample("", labels.Items);
        return new ImageFolder(root, labels.Classes, [new DatasetSplit("", root, items)], false, selection?.Describe());
    }

    private static int SplitOrder(string dir) => Array.IndexOf(SplitName.Folders, Path.GetFileName(dir).ToLowerInvariant());

    /// <summary>
    /// Files below <paramref name="dir"/>, sorted, skipping hidden files and folders (names starting
    /// with '.'). Symbolic links to folders are followed once: a folder reached again through a link
    /// (a loop such as <c>cat/loop -&gt; ..</c>, or a second link to the same place) is not walked twice.
    /// </summary>
    internal static List<string> FilesBelow(string dir) => FilesBelow(dir, new HashSet<string>(StringComparer.Ordinal));

    /// <summary>As <see cref="FilesBelow(string)"/>, never entering a folder already in <paramref name="visited"/> (real paths).</summary>
    internal static List<string> FilesBelow(string dir, HashSet<string> visited)
    {
        var files = new List<string>();
        Walk(dir, files, visited, top: true);
        return files;
    }

    private static void Walk(string dir, List<string> files, HashSet<string> visited, bool top = false)
    {
        if (!visited.Add(RealPath(dir)) && !top)
        {
            return;
        }

        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            if (entry is DirectoryInfo sub)
            {
                Walk(sub.FullName, files, visited);
            }
            else
            {
                files.Add(entry.FullName);
            }
        }
    }

    /// <summary>The folder with every symbolic link on its path resolved, or the path itself when that fails.</summary>
    private static string RealPath(string dir)
    {
        try
        {
            var info = new DirectoryInfo(dir);
            string resolved = info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
            string? parent = Path.GetDirectoryName(resolved);
            return parent is null ? resolved : Path.Combine(RealPath(parent), Path.GetFileName(resolved));
        }
        catch (IOException)
        {
            return Path.GetFullPath(dir);
        }
    }

    private static List<string> VisibleSubfolders(string dir) =>
        Directory.EnumerateDirectories(dir).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
}
