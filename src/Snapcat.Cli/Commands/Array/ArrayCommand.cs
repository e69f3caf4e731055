using System.CommandLine;
using Snapcat.Array.Api;

namespace Snapcat.Cli;

/// <summary><c>snapcat array …</c>: run a disk array, or administer one over its control API.</summary>
public static class ArrayCommand
{
    public static Command Build(CliConsole console)
    {
        var array = new Command("array", "Run a software disk array, or manage one's volumes, LUNs and volume information");
        array.Options.Add(ArrayConnection.Url);
        array.Options.Add(ArrayConnection.Token);
        array.Options.Add(ArrayConnection.Config);

        array.Subcommands.Add(ServeCommand.Build());

        var info = new Command("info", "Show the array (device ID, data ports, volume count); 'info get|put|delete N': a volume's volume information");
        info.SetAction(async (r, ct) =>
        {
            using var client = ArrayConnection.Open(r);
            var a = await client.GetArrayAsync(ct);
            if (SnapcatCommand.Format(r) == OutputFormat.Json) console.WriteJson(a);
            else console.Ui.Write(Tables.Array(a));
            return 0;
        });
        VolumeInfoCommands.AddTo(info, console);
        array.Subcommands.Add(info);

        array.Subcommands.Add(VolumeCommands.Build(console));
        foreach (var c in LunCommands.Build(console)) array.Subcommands.Add(c);
        array.Subcommands.Add(VolumeInfoCommands.BuildListing(console));
        array.Subcommands.Add(MirrorCommands.Build(console));
        foreach (var c in CopyCommands.Build(console)) array.Subcommands.Add(c);
        array.Subcommands.Add(SnapshotCommands.Build(console));
        array.Subcommands.Add(JobCommands.Build(console));
        return array;
    }

    /// <summary>Runs <paramref name="body"/> with a client of the array the options name.</summary>
    public static void SetClientAction(this Command command, Func<ParseResult, ArrayClient, CancellationToken, Task> body) =>
        command.SetAction(async (r, ct) =>
        {
            using var client = ArrayConnection.Open(r);
            await body(r, client, ct);
            return 0;
        });

    public static bool Json(this ParseResult r) => SnapcatCommand.Format(r) == OutputFormat.Json;

    public static Argument<uint> VolumeNumber() => new("number") { Description = "Volume number" };
}
