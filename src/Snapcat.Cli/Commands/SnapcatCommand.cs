namespace Snapcat.Cli;

public static class SnapcatCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("snapcat: not built yet");
        return Task.FromResult(2);
    }
}
