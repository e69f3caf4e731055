namespace Snapcat.TestKit;

/// <summary>
/// The real <c>snapcat</c> executable, built next to the test assembly through the project reference
/// to Snapcat.Cli. Tests start daemons with it as child processes.
/// </summary>
public static class SnapcatBinary
{
    public static string DllPath
    {
        get
        {
            string p = Path.Combine(AppContext.BaseDirectory, "snapcat.dll");
            if (!File.Exists(p))
                throw new FileNotFoundException("snapcat.dll is not next to the test assembly; does the test project reference src/Snapcat.Cli?", p);
            return p;
        }
    }

    public static ChildProcess Start(params string[] args) =>
        ChildProcess.Start("dotnet", [DllPath, .. args]);

    public static Task<Tool.Result> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null) =>
        Tool.RunAsync("dotnet", [DllPath, .. args], timeout, stdin);
}
