using System.CommandLine;

namespace Pipeline.Cli.Commands;

/// <summary><c>merge</c>: the shards of each split become one cache (their files become its parts; nothing is copied).</summary>
internal static class MergeCommand
{
    public static readonly Argument<string> Cache = new("CACHE") { Description = "The --out folder that every 'extract --shard I/N' task wrote to." };

    public static Command Create()
    {
        var command = new Command("merge", """
            Join the shards written by 'extract --shard I/N' tasks (Slurm arrays, Kubernetes Indexed Jobs) into one cache.
            Example: pipeline merge cache
            """);
        command.Add(Cache);
        command.SetAction(r =>
        {
            foreach (var m in Caches.Merge(r.GetValue(Cache)!))
            {
                Console.Out.WriteLine($"{(m.Split.Length > 0 ? m.Split : "-")}: {m.Shards} shards merged, {m.Rows} rows");
            }

            return 0;
        });
        return command;
    }
}
