namespace Snapcat.Array.Hosting;

/// <summary>Runs a disk array (control API + data ports) until <paramref name="ct"/> is cancelled.</summary>
public static class ArrayDaemon
{
    /// <summary>Entry of <c>snapcat array serve --config FILE</c>. Returns the process exit code.</summary>
    public static Task<int> RunAsync(string configPath, CancellationToken ct) =>
        throw new NotImplementedException("array daemon: to be written");
}
