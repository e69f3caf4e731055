using System.Diagnostics;
using System.Text;

namespace Snapcat.Cli.Quickstart;

/// <summary>Runs a program such as <c>nbdcopy</c> or <c>nbdinfo</c> to completion; killed by PID on timeout or cancel.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new SnapcatException(ErrorKind.Internal, "tool.start", $"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await p.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            throw new SnapcatException(ErrorKind.Internal, "tool.timeout", $"{Path.GetFileName(file)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return new Result(p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct)
    {
        var argList = args.ToList();
        var r = await RunAsync(file, argList, timeout, ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw new SnapcatException(ErrorKind.Remote, "tool.failed",
                $"{Path.GetFileName(file)} {string.Join(' ', argList)} exited with code {r.ExitCode}: {new StringBuilder(r.Stderr).Append(r.Stdout).ToString().Trim()}");
        return r.Stdout;
    }
}
