namespace Pipeline.Extractor.Dataset;

/// <summary>
/// Labels from a file instead of class folders: a CSV with a header (Kaggle's <c>id,label</c> or
/// <c>filename,label</c>) or JSON lines (<c>{"filename": "a.jpg", "label": "cat"}</c>), paths relative to the
/// data folder. A row whose file is missing, a second row for the same file, or a row with no label is left out
/// with one line saying why; the rest make the same item list a class-per-folder scan does (classes sorted).
/// </summary>
internal sealed partial class LabelFile
{
    /// <summary>File columns tried, in order, when none is named.</summary>
    public static readonly string[] FileColumns = ["filename", "file", "path", "image", "id"];

    /// <summary>The <c>labelColumns</c> value that takes every column but the file column as a 0/1 label.</summary>
    public const string AllColumns = "*";

    /// <summary>The label column when none is named.</summary>
    public const string DefaultLabelColumn = "label";

    private LabelFile(IReadOnlyList<string> classes, IReadOnlyList<ImageItem> items, IReadOnlyList<string> problems)
    {
        Classes = classes;
        Items = items;
        Problems = problems;
    }

    /// <summary>Class names, sorted (ordinal), as a folder scan sorts its class folders.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>One item per usable row, paths relative to the data folder, in file order.</summary>
    public IReadOnlyList<ImageItem> Items { get; }

    /// <summary>One line per row left out: the file, the line number and why.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Reads <paramref name="path"/> (.jsonl/.ndjson: JSON lines; otherwise CSV) against the images under <paramref name="dataRoot"/>.</summary>
    /// <exception cref="DataLayoutException">The file is missing, has no such column, or names fewer than two classes.</exception>
    /// <param name="separator">
    /// Several labels per image: each label cell is split on it, blank parts dropped, and every item carries its
    /// <see cref="ImageItem.Tags"/> (the vocabulary is the sorted union). Null: one label per image.
    /// </param>
    /// <param name="labelColumns">
    /// Several labels per image, one 0/1 column each (<c>file,cat,dog,indoor</c>): the columns named, or every
    /// column but the file column for <see cref="AllColumns"/>; a row with another value in one of them is left out
    /// with one line. Null: the label column. CSV only; not with <paramref name="separator"/> or <paramref name="labelColumn"/>.
    /// </param>
    public static LabelFile Read(string path, string dataRoot, string? fileColumn = null, string? labelColumn = null, string? separator = null, IReadOnlyList<string>? labelColumns = null)
    {
        CheckSeparator(path, separator);
        bool jsonLines = Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".ndjson";
        if (labelColumns is not null)
        {
            CheckLabelColumns(labelColumns, jsonLines, labelColumn, separator);
        }

        if (!File.Exists(path))
        {
            throw new DataLayoutException(path, "no such label file", "give the CSV or JSON lines file that lists each image and its label");
        }

        var columns = new List<string>();
        var rows = labelColumns is not null ? ColumnRows(path, fileColumn, labelColumns, columns)
            : jsonLines ? JsonRows(path, fileColumn, labelColumn) : CsvRows(path, fileColumn, labelColumn);
        var problems = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var kept = new List<(string File, string[] Labels)>();
        foreach (var (line, file, label, flags) in rows)
        {
            string where = $"{path}:{line}";
            if (string.IsNullOrWhiteSpace(file))
            {
                problems.Add($"{where}: no file name; row left out");
            }
            else if (labelColumns is not null && BadFlag(flags!, columns) is { } bad)
            {
                problems.Add($"{where}: '{file}' has {bad} (expected 0 or 1); row left out");
            }
            else if (labelColumns is null && Split(label, separator) is not { Length: > 0 })
            {
                problems.Add($"{where}: '{file}' has no label; row left out");
            }
            else if (Resolve(dataRoot, file.Trim()) is not { } relative)
            {
                problems.Add($"{where}: '{file}' is not under {dataRoot}; row left out");
            }
            else if (seen.TryGetValue(relative, out int first))
            {
                problems.Add($"{where}: '{file}' is listed again (first on line {first}); the first row is kept");
            }
            else
            {
                seen[relative] = line;
                kept.Add((relative, labelColumns is null ? Split(label, separator) : Flagged(flags!, columns)));
            }
        }

        // One column per label: every column is a label, present or not; else the labels found, sorted.
        var classes = labelColumns is not null ? columns.Order(StringComparer.Ordinal).ToList()
            : kept.SelectMany(k => k.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
        {
            throw new DataLayoutException(path, $"names {classes.Count} class{(classes.Count == 1 ? "" : "es")} over {kept.Count} usable rows; a classifier needs at least two",
                labelColumns is null ? "check the label column (--label-column) and that the files exist under the data folder" : "name two or more 0/1 columns with --label-columns");
        }

        var items = kept.Select(k => separator is null && labelColumns is null ? new ImageItem(k.File, classes.IndexOf(k.Labels[0]))
            : MultiLabelItem(k.File, k.Labels.Select(l => classes.IndexOf(l)))).ToList();
        return new LabelFile(classes, items, problems);
    }

    /// <summary>
    /// A multi-label item: its label indexes sorted, <see cref="ImageItem.Label"/> the first of them (what listings
    /// read), 0 for an image with none (a row of 0 columns: a negative for every label).
    /// </summary>
    private static ImageItem MultiLabelItem(string file, IEnumerable<int> labels)
    {
        var tags = labels.Distinct().Order().ToArray();
        return new ImageItem(file, tags.Length == 0 ? 0 : tags[0]) { Tags = tags };
    }

    /// <summary>The cell's labels: the whole trimmed cell without a separator; with one, its non-blank parts, trimmed. Empty: no label.</summary>
    private static string[] Split(string? cell, string? separator) =>
        string.IsNullOrWhiteSpace(cell) ? []
        : separator is null ? [cell.Trim()]
        : cell.Split(separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A separator must be non-blank, and in a CSV it cannot be the comma that separates the cells.</summary>
    private static void CheckSeparator(string path, string? separator)
    {
        if (separator is null)
        {
            return;
        }

        bool jsonLines = Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".ndjson";
        if (separator.Trim().Length == 0 || (!jsonLines && separator.Contains(',', StringComparison.Ordinal)) || separator.Contains('"', StringComparison.Ordinal))
        {
            throw new InvalidSettingException("label-separator", separator, "a character (or string) that splits a label cell into labels, such as '|' or ';' (not blank, not a comma or a quote in a CSV)");
        }
    }

    /// <summary>
    /// The file's path relative to the data root when it exists there; an id without an image extension (Kaggle's
    /// <c>id</c> column) is tried with each image extension. Null when missing or outside the root.
    /// </summary>
    private static string? Resolve(string dataRoot, string file)
    {
        string root = Path.GetFullPath(dataRoot);
        string full = Path.GetFullPath(Path.Combine(root, file));
        string relative = Path.GetRelativePath(root, full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }

        if (File.Exists(full))
        {
            return relative.Replace('\\', '/');
        }

        // An id whose own "extension" is not an image's (Kaggle's 1234, or cat.4001) is tried with each image extension.
        return ImageFolder.ImageExtensions.Contains(Path.GetExtension(full), StringComparer.OrdinalIgnoreCase) ? null
            : ImageFolder.ImageExtensions.Select(e => full + e).FirstOrDefault(File.Exists) is { } withExtension
                ? Path.GetRelativePath(root, withExtension).Replace('\\', '/') : null;
    }

    /// <summary>
    /// The images a label file lists, for predict: each row's file (resolved under <paramref name="dataRoot"/> as
    /// <see cref="Read"/> does) and its label, null where the file has no label column (Kaggle's <c>test.csv</c>) or
    /// the cell is blank. A missing file, one outside the root, or a second row for a file is left out with one line
    /// in <paramref name="problems"/>. Rows come as they are read: memory does not grow with the file.
    /// </summary>
    internal static IEnumerable<(string File, string? Label)> List(string path, string dataRoot, string? fileColumn, string? labelColumn, List<string> problems)
    {
        if (!File.Exists(path))
        {
            throw new DataLayoutException(path, "no such label file", "give the CSV or JSON lines file that lists the images");
        }

        bool jsonLines = Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".ndjson";
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, file, label, _) in jsonLines ? JsonRows(path, fileColumn, labelColumn) : CsvRows(path, fileColumn, labelColumn, labelOptional: labelColumn is null))
        {
            string where = $"{path}:{line}";
            if (string.IsNullOrWhiteSpace(file))
            {
                problems.Add($"{where}: no file name; row left out");
            }
            else if (Resolve(dataRoot, file.Trim()) is not { } relative)
            {
                problems.Add($"{where}: '{file}' is not a file under {dataRoot}; row left out");
            }
            else if (!seen.TryAdd(relative, line))
            {
                problems.Add($"{where}: '{file}' is listed again (first on line {seen[relative]}); the first row is kept");
            }
            else
            {
                yield return (Path.Combine(Path.GetFullPath(dataRoot), relative), string.IsNullOrWhiteSpace(label) ? null : label.Trim());
            }
        }
    }
}
