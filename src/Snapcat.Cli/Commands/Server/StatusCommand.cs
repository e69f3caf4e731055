using System.CommandLine;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat status [--since 24h]</c>: the backup server on one screen (GET /v1/status, read-only role): definitions
/// with their last result and next run, running jobs with progress, failures and missed runs since the given time,
/// each array's volumes and space, the tape library. <c>--output json</c> prints the same as one JSON document.
/// </summary>
public static class StatusCommand
{
    public static Command Build(CliConsole console)
    {
        var since = new Option<string>("--since")
        {
            Description = "Failures since: a span back from now (24h, 7d, 90m) or an ISO 8601 time (default 24h)",
            DefaultValueFactory = _ => "24h",
        };
        var status = new Command("status", "The backup server on one screen: definitions, running jobs, failures, arrays, tape library") { since };
        status.WithConnection();
        status.SetServerAction(async (r, client, ct) =>
        {
            var s = await client.GetStatusAsync(r.GetValue(since), ct).ConfigureAwait(false);
            if (r.Json()) console.WriteJson(s);
            else foreach (var part in StatusTables.Screen(s)) console.Ui.Write(part);
        });
        return status;
    }
}
