using System.CommandLine;

namespace Snapcat.Cli.Commands.Array;

/// <summary><c>snapcat array …</c>: run a disk array, or administer one over its control API.</summary>
public static class ArrayCommand
{
    /// <summary>The array's jobs: copies, restores and volume copies the array runs in the background.</summary>
    public static readonly JobHome<ArrayClient> Jobs = new(ArrayConnection.Connection, "array", "snapcat array job", ArrayClient.EnsureSucceeded);

    public static Command Build(CliConsole console)
    {
        var array = ArrayConnection.Connection.WithOptions(
            new Command("array", "Run a software disk array, or manage one's volumes, LUNs and volume information"));

        array.Subcommands.Add(ServeCommand.Build());

        var info = new Command("info", "Show the array (device ID, data ports, volume count); 'info get|put|delete N': a volume's volume information");
        info.SetClientAction(async (r, client, ct) => console.Show(r, await client.GetArrayAsync(ct).ConfigureAwait(false), Tables.Array));
        VolumeInfoCommands.AddTo(info, console);
        array.Subcommands.Add(info);

        array.Subcommands.Add(VolumeCommands.Build(console));
        foreach (var c in LunCommands.Build(console)) array.Subcommands.Add(c);
        array.Subcommands.Add(VolumeInfoCommands.BuildListing(console));
        array.Subcommands.Add(MirrorCommands.Build(console));
        foreach (var c in CopyCommands.Build(console)) array.Subcommands.Add(c);
        array.Subcommands.Add(SnapshotCommands.Build(console));
        array.Subcommands.Add(JobCommands.Build(console, Jobs,
            new("Follow and cancel the array's jobs (copies, restores, volume copies)",
                "List the array's jobs, oldest first (finished ones are kept for a day)",
                "Wait for a job to finish (progress bar on a terminal); exit 1 if it failed or was cancelled",
                "Ask the array to cancel a job (a cancelled copy is a failed copy)",
                "Job ID, e.g. j-0123456789ab"),
            [], (_, client, ct) => client.ListJobsAsync(ct)));
        return array;
    }

    /// <summary>Runs <paramref name="body"/> with a client of the array the options name.</summary>
    public static void SetClientAction(this Command command, Func<ParseResult, ArrayClient, CancellationToken, Task> body) =>
        ArrayConnection.Connection.SetAction(command, body);

    public static Argument<uint> VolumeNumber() => new("number") { Description = "Volume number" };
}
