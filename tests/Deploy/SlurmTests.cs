using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// The project's own deploy/slurm array script on a real one-node Slurm (Debian's slurm-wlm and munge, started
/// by tests/Support/slurm-cluster.sh under a temp folder and stopped after): 3 tasks over 80 of the shared photos
/// (every 20th of each folder, linked), then merge, give the single-machine cache's rows image by image, byte for
/// byte. Where Slurm cannot start, the test fails with the reason; it never passes quietly.
/// </summary>
[Collection(ResNetCollection.Name)]
public sealed class SlurmTests(ResNetCache fixture)
{
    [Fact]
    public void ArrayOfThreeTasksThenMergeEqualsOneMachine()
    {
        using var tmp = new TempDir();
        string script = Path.Combine(TestPaths.RepoRoot, "tests", "Support", "slurm-cluster.sh");
        var start = CliProcess.Exec("bash", [script, "start", tmp.Sub("slurm")]);
        try
        {
            Assert.True(start.ExitCode == 0, $"a one-node Slurm could not be started: {start.Stderr}{start.Stdout}");

            // pipeline on PATH, as the script expects: here the suite's own build.
            Directory.CreateDirectory(tmp.Sub("bin"));
            File.WriteAllText(tmp.Sub("bin", "pipeline"), $"#!/bin/sh\nexec dotnet '{TestPaths.CliDll}' \"$@\"\n");
            Assert.Equal(0, CliProcess.Exec("chmod", ["+x", tmp.Sub("bin", "pipeline")]).ExitCode);
            var env = new Dictionary<string, string>
            {
                ["SLURM_CONF"] = tmp.Sub("slurm", "slurm.conf"),
                ["PATH"] = $"{tmp.Sub("bin")}:{Environment.GetEnvironmentVariable("PATH")}",
            };
            string data = Datasets.LinkTree(tmp.Sub("data"), Datasets.EveryNthSharedPhoto(20));

            // The script's own resources ask for 4 CPUs and 8 GB; this 2-core machine's node gets 1 CPU and 2 GB a task.
            var run = CliProcess.Exec("sbatch", ["--wait", "--array=0-2", "--cpus-per-task=1", "--mem=2G",
                $"--export=ALL,DATA={data},CACHE={tmp.Sub("cache")}", Path.Combine(TestPaths.RepoRoot, "deploy", "slurm", "extract.sbatch")], env, tmp.Path);
            Assert.True(run.ExitCode == 0, $"sbatch: {run.Stdout}{run.Stderr}\n{Logs(tmp.Path)}");
            Assert.Equal(3, Directory.GetFiles(tmp.Path, "pipeline-extract-*.out").Length);

            // merge refuses while a task's shard is missing, and names it.
            string shard = tmp.Sub("cache", "test", "shards", "1-of-3");
            Directory.Move(shard, shard + ".away");
            var refused = CliProcess.Run("merge", tmp.Sub("cache"));
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("1-of-3", refused.Stderr);
            Directory.Move(shard + ".away", shard);

            var merge = CliProcess.Run("merge", tmp.Sub("cache"));
            Assert.True(merge.ExitCode == 0, merge.Stderr);
            foreach (var split in new[] { SplitName.Train, SplitName.Validation, SplitName.Test })
            {
                using var one = FeatureCache.Open(fixture.Root, split);
                using var merged = FeatureCache.Open(tmp.Sub("cache"), split);
                var rowOf = Enumerable.Range(0, one.Count).ToDictionary(r => one.Manifest.Items[r].Path, StringComparer.Ordinal);
                Assert.Equal(Directory.GetFiles(Path.Combine(data, split), "*.jpg", SearchOption.AllDirectories).Length, merged.Count);
                var (a, b) = (new float[one.FeatureLength], new float[one.FeatureLength]);
                for (int m = 0; m < merged.Count; m++)
                {
                    var item = merged.Manifest.Items[m];
                    int r = rowOf[item.Path];
                    Assert.Equal(one.Manifest.Items[r].Sha256, item.Sha256);
                    Assert.Equal(one.Labels[r], merged.Labels[m]);
                    one.ReadRow(r, a);
                    merged.ReadRow(m, b);
                    Assert.True(a.AsSpan().SequenceEqual(b), $"{split}/{item.Path}: the Slurm row differs from the single-machine row");
                }
            }
        }
        finally
        {
            CliProcess.Exec("bash", [script, "stop", tmp.Sub("slurm")]);
        }
    }

    private static string Logs(string dir) => string.Join("\n", Directory.GetFiles(dir, "pipeline-extract-*.out").Select(f => $"{f}: {File.ReadAllText(f)}"));
}
