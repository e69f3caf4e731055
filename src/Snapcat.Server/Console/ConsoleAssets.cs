using System.Reflection;

// The folder is Console/, but a namespace Snapcat.Server.Console would hide System.Console from every
// Snapcat.Server.* namespace (the server's tests write with Console.WriteLine): the namespace says WebConsole.
#pragma warning disable IDE0130
namespace Snapcat.Server.WebConsole;
#pragma warning restore IDE0130

/// <summary>
/// The console's static files, embedded in this assembly from Console/wwwroot (logical names <c>console/PATH</c>,
/// see Snapcat.Server.csproj): served from memory, so the console needs no files on disk and no internet.
/// </summary>
public static class ConsoleAssets
{
    private static readonly Lazy<IReadOnlyDictionary<string, byte[]>> All = new(Load);

    /// <summary>The file at <paramref name="path"/> (relative to the console's root, e.g. <c>js/app.js</c>) or null.</summary>
    public static byte[]? Find(string path) => All.Value.TryGetValue(path, out var b) ? b : null;

    public static IEnumerable<string> Paths => All.Value.Keys;

    public static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };

    private static Dictionary<string, byte[]> Load()
    {
        var asm = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string name in asm.GetManifestResourceNames())
        {
            if (!name.StartsWith("console/", StringComparison.Ordinal)) continue;
            using var s = asm.GetManifestResourceStream(name)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            files[name["console/".Length..].Replace('\\', '/')] = m.ToArray();
        }
        return files;
    }
}
