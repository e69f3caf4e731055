namespace Snapcat.TestKit;

/// <summary>A fresh directory per test under the system temp folder, removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string? prefix = null)
    {
        Path = Directory.CreateTempSubdirectory("snapcat-" + (prefix ?? "test") + "-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a mount or a still-open file: leave it to the OS temp cleaner */ }
        catch (UnauthorizedAccessException) { }
    }
}
