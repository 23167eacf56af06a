using System.Diagnostics;

namespace Pipeline.Tests.Support;

/// <summary>Runs the real CLI in a child process.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts the CLI with extra environment variables.</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(TestPaths.CliDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("could not start the CLI");
    }

    public static Result Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"pipeline {string.Join(' ', args)} did not finish in 5 minutes");
        }

        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs any program to completion, with extra environment variables and a working folder when given.</summary>
    public static Result Exec(string file, string[] args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>Runs python3 (Debian's, with numpy) on a script.</summary>
internal static class Python
{
    public static CliProcess.Result Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("-");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new CliProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>
/// onnxruntime-node, another ONNX Runtime than ours, installed once from the npm registry into
/// ~/.cache/pipeline-tests (outside the repository) the first time a test needs it.
/// </summary>
internal static class OrtNode
{
    public const string Version = "1.30.0";

    public static string Prefix { get; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pipeline-tests", "ort-node-" + Version);

    public static void EnsureInstalled()
    {
        if (Directory.Exists(Path.Combine(Prefix, "node_modules", "onnxruntime-node")))
        {
            return;
        }

        Directory.CreateDirectory(Prefix);
        var r = Run("npm", ["install", "--prefix", Prefix, "--no-audit", "--no-fund", $"onnxruntime-node@{Version}"]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("npm install onnxruntime-node failed: " + r.Stderr);
        }
    }

    /// <summary>Runs tests/Support/ort-node-check.js: the model on raw uint8 pixels, probabilities as JSON.</summary>
    public static CliProcess.Result Probabilities(string model, string pixels, int n, int h, int w)
    {
        EnsureInstalled();
        var env = new Dictionary<string, string> { ["NODE_PATH"] = Path.Combine(Prefix, "node_modules") };
        return Run("node", [Path.Combine(AppContext.BaseDirectory, "Support", "ort-node-check.js"), model, pixels, $"{n}", $"{h}", $"{w}"], env);
    }

    private static CliProcess.Result Run(string file, string[] args, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new CliProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A real browser: Debian's headless Chromium, installed by .ci/run.</summary>
internal static class Browser
{
    /// <summary>The page's DOM after its load event (scripts run), as Chromium serialises it.</summary>
    public static string DumpDom(string htmlFile)
    {
        string exe = new[] { "/usr/bin/chromium-headless-shell", "/usr/bin/chromium" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no headless Chromium: install chromium-headless-shell (.ci/run does)");
        var r = CliProcess.Exec(exe, ["--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + Path.GetFullPath(htmlFile)]);
        return r.ExitCode == 0 ? r.Stdout : throw new InvalidOperationException($"{exe} failed: {r.Stderr}");
    }
}
