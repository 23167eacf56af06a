using System.Text;
using System.Text.Json;

namespace Pipeline.Extractor.Dataset;

/// <summary>The rows of a label file as cells: CSV (RFC 4180, a label column or one 0/1 column per label) and JSON lines.</summary>
internal sealed partial class LabelFile
{
    private static IEnumerable<(int Line, string? File, string? Label, string?[]? Flags)> CsvRows(string path, string? fileColumn, string? labelColumn, bool labelOptional = false)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = Header(reader);
        int fileAt = Column(path, header, fileColumn, "file-column");
        int labelAt = labelOptional && !header.Any(c => string.Equals(c.Trim(), DefaultLabelColumn, StringComparison.OrdinalIgnoreCase))
            ? int.MaxValue : Column(path, header, labelColumn ?? DefaultLabelColumn, "label-column");
        foreach (var (line, text) in NonBlankLines(reader, before: 1))
        {
            var cells = SplitCsv(text);
            yield return (line, fileAt < cells.Count ? cells[fileAt] : null, labelAt < cells.Count ? cells[labelAt] : null, null);
        }
    }

    /// <summary>
    /// Rows of a CSV with one 0/1 column per label: each row's cells of the label columns, in the order of
    /// <paramref name="columns"/> (filled with the columns' header names before the first row is read).
    /// </summary>
    private static IEnumerable<(int Line, string? File, string? Label, string?[]? Flags)> ColumnRows(string path, string? fileColumn, IReadOnlyList<string> labelColumns, List<string> columns)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = Header(reader);
        int fileAt = Column(path, header, fileColumn, "file-column");
        var at = labelColumns is [AllColumns]
            ? Enumerable.Range(0, header.Count).Where(i => i != fileAt && header[i].Trim().Length > 0).ToArray()
            : labelColumns.Select(c => Column(path, header, c, "label-columns")).ToArray();
        columns.AddRange(at.Select(i => header[i].Trim()));
        foreach (var (line, text) in NonBlankLines(reader, before: 1))
        {
            var cells = SplitCsv(text);
            yield return (line, fileAt < cells.Count ? cells[fileAt] : null, null, at.Select(i => i < cells.Count ? cells[i] : null).ToArray());
        }
    }

    /// <summary>The first cell that is not 0 or 1, as "'x' in column 'dog'"; null when all are.</summary>
    private static string? BadFlag(string?[] flags, List<string> columns)
    {
        for (int i = 0; i < flags.Length; i++)
        {
            if (flags[i]?.Trim() is not ("0" or "1"))
            {
                return flags[i] is null ? $"no cell for column '{columns[i]}'" : $"'{flags[i]}' in column '{columns[i]}'";
            }
        }

        return null;
    }

    /// <summary>The names of the columns holding 1.</summary>
    private static string[] Flagged(string?[] flags, List<string> columns) => columns.Where((_, i) => flags[i]!.Trim() == "1").ToArray();

    /// <summary>One column per label goes with a CSV's header, and replaces the label column and the separator.</summary>
    private static void CheckLabelColumns(IReadOnlyList<string> labelColumns, bool jsonLines, string? labelColumn, string? separator)
    {
        string value = string.Join(",", labelColumns);
        if (labelColumns.Count == 0 || labelColumns.Any(c => c.Trim().Length == 0) || (labelColumns.Count == 1 && labelColumns[0] != AllColumns) || (labelColumns.Count > 1 && labelColumns.Contains(AllColumns)))
        {
            throw new InvalidSettingException("label-columns", value, $"two or more column names of 0/1 cells (e.g. cat,dog,indoor), or '{AllColumns}' for every column but the file column");
        }

        if (jsonLines || labelColumn is not null || separator is not null)
        {
            throw new InvalidSettingException("label-columns", value,
                jsonLines ? "with a CSV label file (a header names the columns)" : $"without {(separator is not null ? "a label separator" : "a label column")}: the 0/1 columns are the labels");
        }
    }

    private static IEnumerable<(int Line, string? File, string? Label, string?[]? Flags)> JsonRows(string path, string? fileColumn, string? labelColumn)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        foreach (var (line, text) in NonBlankLines(reader, before: 0))
        {
            Dictionary<string, JsonElement>? row;
            try
            {
                row = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(text);
            }
            catch (JsonException)
            {
                row = null;
            }

            string? file = row is null ? null : (fileColumn is { } named ? [named] : FileColumns).Select(c => Text(row, c)).FirstOrDefault(v => v is not null);
            yield return (line, file, row is null ? null : Text(row, labelColumn ?? DefaultLabelColumn), null);
        }
    }

    /// <summary>A CSV's first line as cells (a UTF-8 byte-order mark dropped); empty for an empty file.</summary>
    private static List<string> Header(TextReader reader) => reader.ReadLine() is { } h ? SplitCsv(h.TrimStart('\uFEFF')) : [];

    /// <summary>The lines left in <paramref name="reader"/> that are not blank, each with its 1-based number in the file (<paramref name="before"/> lines were read already).</summary>
    private static IEnumerable<(int Line, string Text)> NonBlankLines(TextReader reader, int before)
    {
        int line = before;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Trim().Length > 0)
            {
                yield return (line, text);
            }
        }
    }

    private static string? Text(Dictionary<string, JsonElement> row, string key) =>
        row.TryGetValue(key, out var v) ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null } : null;

    /// <summary>The index of the named column, or of the first of <see cref="FileColumns"/> when no file column is named.</summary>
    private static int Column(string path, List<string> header, string? name, string setting)
    {
        var candidates = name is null ? FileColumns : [name];
        foreach (string c in candidates)
        {
            int i = header.FindIndex(h => string.Equals(h.Trim(), c, StringComparison.OrdinalIgnoreCase));
            if (i >= 0)
            {
                return i;
            }
        }

        throw new DataLayoutException(path, $"the header ({string.Join(",", header)}) has no {(name is null ? $"file column ({string.Join(", ", FileColumns)})" : $"column '{name}'")}",
            $"name the column with --{setting}, or add a header line such as filename,label");
    }

    /// <summary>One CSV line's cells (RFC 4180: a quoted cell may hold commas and doubled quotes).</summary>
    internal static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
