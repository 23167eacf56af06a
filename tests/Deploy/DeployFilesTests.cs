using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>The scheduler recipes as far as they can be checked offline: the shell scripts parse, and the Kubernetes files hold the fields the shard and merge contract relies on.</summary>
public sealed class DeployFilesTests
{
    [Theory]
    [InlineData("deploy/slurm/extract.sbatch")]
    [InlineData("deploy/slurm/merge-train.sbatch")]
    [InlineData("deploy/slurm/submit.sh")]
    [InlineData("deploy/local/gpus.sh")]
    public void ShellScriptParses(string script)
    {
        var check = CliProcess.Exec("bash", ["-n", Path.Combine(TestPaths.RepoRoot, script)]);
        Assert.True(check.ExitCode == 0, check.Stderr);
    }

    /// <summary>
    /// The Indexed Job (parsed with Debian's PyYAML): indexed completion, one completion per shard, the shard
    /// taken from JOB_COMPLETION_INDEX over the same count, the cache on a volume; the merge Job merges then trains the same cache.
    /// </summary>
    [Fact]
    public void KubernetesJobsHoldTheShardAndMergeContract()
    {
        var check = Python.Run("""
            import sys, yaml
            job = yaml.safe_load(open(sys.argv[1])); merge = yaml.safe_load(open(sys.argv[2]))
            spec = job["spec"]; pod = spec["template"]["spec"]; c = pod["containers"][0]
            env = {e["name"]: e["value"] for e in c["env"]}
            assert job["kind"] == "Job" and spec["completionMode"] == "Indexed", "not an Indexed Job"
            assert int(env["SHARDS"]) == spec["completions"], "SHARDS differs from completions"
            args = " ".join(c["args"])
            assert '--shard "$JOB_COMPLETION_INDEX/$SHARDS"' in args and "--out /cache" in args, args
            assert any(m["mountPath"] == "/cache" for m in c["volumeMounts"]) and pod["restartPolicy"] == "Never"
            margs = " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])
            assert margs.index("pipeline merge /cache") < margs.index("pipeline train --cache /cache"), margs
            print("ok", spec["completions"])
            """, Path.Combine(TestPaths.RepoRoot, "deploy/k8s/extract-job.yaml"), Path.Combine(TestPaths.RepoRoot, "deploy/k8s/merge-job.yaml"));
        Assert.True(check.ExitCode == 0, check.Stderr + check.Stdout);
        Assert.Equal("ok 8", check.Stdout.Trim());
    }
}
