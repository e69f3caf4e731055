namespace Snapcat.Cli;

// Minimal dispatcher for `snapcat array serve --config FILE` only (branch array-daemon), so the daemon
// can run as a child process in tests. The full command tree replaces this file.
public static class SnapcatCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        if (args is ["array", "serve", "--config", var path])
            return Snapcat.Array.Hosting.ArrayDaemon.RunAsync(path, CancellationToken.None);
        Console.Error.WriteLine("usage: snapcat array serve --config FILE");
        return Task.FromResult(2);
    }
}
