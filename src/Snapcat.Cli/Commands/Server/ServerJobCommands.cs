using System.CommandLine;

namespace Snapcat.Cli.Commands.Server;

/// <summary><c>snapcat job list|show|wait|cancel|log</c>: the backup server's jobs and job history.</summary>
public static class ServerJobCommands
{
    /// <summary>The backup server's jobs: backups, restores, deletes, rebuilds, copies.</summary>
    public static readonly JobHome<ServerClient> Jobs = new(ServerConnection.Connection, "server", "snapcat job", ServerClient.EnsureSucceeded);

    public static Command Build(CliConsole console)
    {
        var limit = new Option<int>("--limit") { Description = "At most this many jobs (default 50)", DefaultValueFactory = _ => 50 };
        var job = JobCommands.Build(console, Jobs,
            new("Follow and cancel the backup server's jobs (backups, restores, deletes, rebuilds, copies)",
                "Running jobs and the job history, newest first",
                "Wait for a job to finish; exit 1 if it failed or was cancelled",
                "Ask the server to cancel a running job",
                "Job ID"),
            [limit], (r, client, ct) => client.ListJobsAsync(r.GetValue(limit), ct));
        job.Subcommands.Add(JobLogCommand.Build(console));
        return job.WithConnection();
    }
}
