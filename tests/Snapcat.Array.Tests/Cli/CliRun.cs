using Snapcat.Cli.Commands;

namespace Snapcat.Array.Tests.Cli;

/// <summary>Runs the snapcat command tree in-process with captured output.</summary>
public static class CliRun
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await SnapcatCommand.RunAsync(args, new CliConsole(stdout, stderr), CancellationToken.None);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
