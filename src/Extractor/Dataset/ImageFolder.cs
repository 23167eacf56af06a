
namespace Pipeline.Extractor.Dataset;

/// <summary>One image of a dataset: its path relative to the split folder, and its class index.</summary>
internal sealed record ImageItem(string RelativePath, int Label)
{
    /// <summary>Why the entry cannot be read at all (a name that is not valid UTF-8, an unreadable folder): listed as skipped with this reason, never opened.</summary>
    public string? Problem { get; init; }

    /// <summary>
    /// Every label of a multi-label image (indexes into the classes, sorted; <see cref="Label"/> is the first);
    /// null for a single-label dataset. Written beside the rows as the cache's multi-hot targets.
    /// </summary>
    public IReadOnlyList<int>? Tags { get; init; }
}

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
    /// <summary>
    /// What counts as an image, the one list: the extensions <c>predict</c>, <c>quantize</c> and <c>bench</c> pick from a
    /// folder and a label file's extension-less ids try, every format the decoder reads (ICO included); <c>extract</c>
    /// tries every visible file, and needs one of these to call a folder of classes a dataset.
    /// </summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".ico"];

    /// <summary>The list as messages name it: ".jpg .jpeg .png .bmp .gif .webp .ico".</summary>
    public static string ExtensionList => string.Join(" ", ImageExtensions);

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
        if (classes.Count == 0 && hasSplits)
        {
            // DIR/test/*.jpg beside DIR/dog/*.jpg: a class named like a split makes the whole tree read as splits.
            var others = subfolders.Except(splitFolders).Select(Path.GetFileName).ToList();
            Throw.BadDataLayout(root, $"'{string.Join("', '", splitFolders.Select(Path.GetFileName))}' is read as a split folder (train, validation, val and test name splits), but holds no class folders{(others.Count > 0 ? $"; the folders beside it ({string.Join(", ", others)}) are then not read as classes" : "")}",
                "rename a class folder named like a split (test → test_class, say), or put each split's class folders inside it: DIR/train/cat/*.jpg");
        }

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
                var problems = new List<(string Path, string Problem)>();
                var files = new List<string>();
                Walk(classDir, files, visited, problems, top: true);
                foreach (var file in files)
                {
                    // Every visible file is a candidate: the decoder caches it or lists it as skipped with
                    // its reason (a TIFF, Thumbs.db or notes.txt is reported, never silently dropped).
                    items.Add(new ImageItem(ManifestPath(Path.GetRelativePath(splitRoot, file)), label));
                }

                items.AddRange(problems.Select(p => new ImageItem(ManifestPath(Path.GetRelativePath(splitRoot, p.Path)), label) { Problem = p.Problem }));
            }

            string name = hasSplits ? Path.GetFileName(splitRoot) : "";
            if (!items.Any(i => IsImageFile(i.RelativePath)))
            {
                Throw.BadDataLayout(splitRoot, $"class folders hold no images ({ExtensionList})", "put the images inside the class folders");
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
    /// A relative path as the manifest records it: '/'-separated. Only where '\' is the separator (Windows)
    /// is it turned into '/'; on Linux and macOS a backslash is a legal character of a name
    /// (<c>back\slash.jpg</c>) and is kept, so the manifest names the file that was read.
    /// </summary>
    internal static string ManifestPath(string relative) =>
        Path.DirectorySeparatorChar == '\\' ? relative.Replace('\\', '/') : relative;

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
        Walk(dir, files, visited, problems: null, top: true);
        return files;
    }

    /// <summary>Reasons an entry is listed but never opened.</summary>
    internal const string NotUtf8 = "name is not valid UTF-8 (rename it: this tool cannot tell it from other such names)";

    /// <summary>
    /// Adds the files below <paramref name="dir"/> to <paramref name="files"/>, and to <paramref name="problems"/>
    /// each entry that cannot be read as itself: a name that is not valid UTF-8 (its escaped form), or a
    /// subfolder that cannot be listed (skipped and reported like an unreadable file, not the run's end).
    /// </summary>
    private static void Walk(string dir, List<string> files, HashSet<string> visited, List<(string Path, string Problem)>? problems, bool top = false)
    {
        if (!visited.Add(RealPath(dir)) && !top)
        {
            return;
        }

        List<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (!top && e is UnauthorizedAccessException or IOException)
        {
            problems?.Add((dir, $"unreadable folder ({e.Message})"));
            return;
        }

        // Names holding U+FFFD may be a lossy decoding of bytes that are not UTF-8: only the raw listing tells.
        var raw = entries.Any(e => e.Name.Contains('\uFFFD', StringComparison.Ordinal)) ? RawFolderNames.Classify(dir) : null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            if (entry.Name.Contains('\uFFFD', StringComparison.Ordinal) && (raw?.Genuine.Contains(entry.Name) != true || !seen.Add(entry.Name)))
            {
                continue;   // a lossy name: reported below from the raw listing, never opened under the decoded one
            }

            if (entry is DirectoryInfo sub)
            {
                Walk(sub.FullName, files, visited, problems);
            }
            else
            {
                files.Add(entry.FullName);
            }
        }

        foreach (var lossy in raw?.Lossy ?? entries.Where(e => e.Name.Contains('\uFFFD', StringComparison.Ordinal)).Select(e => e.Name).Distinct().ToList())
        {
            if (!lossy.StartsWith('.'))
            {
                problems?.Add((Path.Combine(dir, lossy), NotUtf8));
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
