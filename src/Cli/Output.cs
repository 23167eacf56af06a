using System.Text.Json;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>Results to stdout: a table for people, JSON for scripts.</summary>
internal static class Output
{
    public static JsonSerializerOptions Json => JsonFormats.Indented;

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>A JSON array written as <paramref name="items"/> are enumerated (the serializer flushes as its buffer fills), never held whole.</summary>
    public static void WriteJsonArray<T>(IEnumerable<T> items)
    {
        Console.Out.Flush();
        using (var stdout = Console.OpenStandardOutput())
        {
            JsonSerializer.Serialize(stdout, items, Json);
        }

        Console.Out.WriteLine();
    }

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            table.AddColumn(c);
        }

        return table;
    }

    public static void Write(Table table) => AnsiConsole.Write(table);
}
