using Snapcat.Array.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Snapcat.Cli;

/// <summary>What the quickstart steps share: the temporary directory, the array they started and what they created.</summary>
public sealed class QuickstartContext(CliConsole console, string directory, bool keep)
{
    private readonly List<IRenderable> _details = [];

    public CliConsole Console { get; } = console;
    public string Directory { get; } = directory;
    public bool Keep { get; } = keep;
    public string ConfigPath => Path.Combine(Directory, "array.json");
    public string LogPath => Path.Combine(Directory, "array.log");

    public string DeviceId { get; set; } = "";
    public string Token { get; set; } = "";
    public string ControlUrl { get; set; } = "";
    public string DataPort { get; set; } = "";
    public ArrayChild? Array { get; set; }
    public ArrayClient? Client { get; set; }
    public List<uint> Volumes { get; } = [];

    public ArrayClient RequireClient() => Client ?? throw new InvalidOperationException("the array has not been started");

    public string NbdUri(uint lun) => $"nbd://{DataPort}/{lun}";

    /// <summary>A line printed under the step's check mark.</summary>
    public void Note(string text) => _details.Add(new Text("  " + text + "\n"));

    public void Show(IRenderable renderable) => _details.Add(renderable);

    /// <summary>Ends the step without failing the run; the reason is printed instead of a check mark.</summary>
    public void Skip(string reason) => throw new QuickstartSkipped(reason);

    internal List<IRenderable> TakeDetails()
    {
        var copy = _details.ToList();
        _details.Clear();
        return copy;
    }
}

public sealed class QuickstartSkipped(string reason) : Exception(reason);
