using System.CommandLine;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary><c>snapcat job list|show|wait|cancel</c>: the backup server's jobs and job history.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ServerJobCommands
{
    public static Command Build(CliConsole console)
    {
        var job = new Command("job", "Follow and cancel the backup server's jobs (backups, restores, deletes, rebuilds, copies)").WithConnection();

        var limit = new Option<int>("--limit") { Description = "At most this many jobs (default 50)", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "Running jobs and the job history, newest first");
        list.Options.Add(limit);
        list.SetServerAction(async (r, client, ct) =>
        {
            var jobs = await client.ListJobsAsync(r.GetValue(limit), ct);
            if (r.Json()) console.WriteJson(jobs);
            else if (jobs.Count == 0) console.Ui.WriteLine("no jobs");
            else console.Ui.Write(CopyTables.Jobs(jobs));
        });
        job.Subcommands.Add(list);

        var showId = new Argument<string>("id") { Description = "Job ID, e.g. j-0123456789ab" };
        var show = new Command("show", "Show a job: state, progress, log, error and result");
        show.Arguments.Add(showId);
        show.SetServerAction(async (r, client, ct) =>
        {
            var j = await client.GetJobAsync(r.GetValue(showId)!, ct);
            if (r.Json()) console.WriteJson(j);
            else console.Ui.Write(CopyTables.Job(j));
        });
        job.Subcommands.Add(show);

        var waitId = new Argument<string>("id") { Description = "Job ID" };
        var timeout = CopyOptions.Timeout();
        timeout.Description = "Give up waiting after this many seconds (the job goes on); 0 waits without limit";
        var wait = new Command("wait", "Wait for a job to finish; exit 1 if it failed or was cancelled");
        wait.Arguments.Add(waitId);
        wait.Options.Add(timeout);
        wait.SetServerAction(async (r, client, ct) =>
        {
            var j = await client.GetJobAsync(r.GetValue(waitId)!, ct);
            await ServerJobRunner.ReportAsync(console, r.Json(), client, j, wait: true, r.TimeoutOf(timeout), ct);
        });
        job.Subcommands.Add(wait);

        var cancelId = new Argument<string>("id") { Description = "Job ID" };
        var cancel = new Command("cancel", "Ask the server to cancel a running job");
        cancel.Arguments.Add(cancelId);
        cancel.SetServerAction(async (r, client, ct) =>
        {
            string id = r.GetValue(cancelId)!;
            await client.CancelJobAsync(id, ct);
            if (r.Json()) console.WriteJson(new { cancelRequested = id });
            else console.Ui.MarkupLineInterpolated($"asked the server to cancel job {id}; 'snapcat job wait {id}' shows how it ends");
        });
        job.Subcommands.Add(cancel);
        return job;
    }
}
