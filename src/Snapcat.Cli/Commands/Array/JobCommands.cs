using System.CommandLine;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary><c>snapcat array job list|show|wait|cancel</c>: the array's background copies.</summary>
public static class JobCommands
{
    public static Command Build(CliConsole console)
    {
        var job = new Command("job", "Follow and cancel the array's jobs (copies, restores, volume copies)");

        var list = new Command("list", "List the array's jobs, oldest first (finished ones are kept for a day)");
        list.SetClientAction(async (r, client, ct) =>
        {
            var jobs = await client.ListJobsAsync(ct);
            if (r.Json()) console.WriteJson(jobs);
            else if (jobs.Count == 0) console.Ui.WriteLine("no jobs");
            else console.Ui.Write(CopyTables.Jobs(jobs));
        });
        job.Subcommands.Add(list);

        var showId = JobId();
        var show = new Command("show", "Show a job: state, progress, log, error and result");
        show.Arguments.Add(showId);
        show.SetClientAction(async (r, client, ct) =>
        {
            var j = await client.GetJobAsync(r.GetValue(showId)!, ct);
            if (r.Json()) console.WriteJson(j);
            else console.Ui.Write(CopyTables.Job(j));
        });
        job.Subcommands.Add(show);

        var waitId = JobId();
        var timeout = CopyOptions.Timeout();
        timeout.Description = "Give up waiting after this many seconds (the job goes on); 0 waits without limit";
        var wait = new Command("wait", "Wait for a job to finish (progress bar on a terminal); exit 1 if it failed or was cancelled");
        wait.Arguments.Add(waitId);
        wait.Options.Add(timeout);
        wait.SetClientAction(async (r, client, ct) =>
        {
            var j = await client.GetJobAsync(r.GetValue(waitId)!, ct);
            await JobRunner.ReportAsync(console, r.Json(), client, j, wait: true, r.TimeoutOf(timeout), ct);
        });
        job.Subcommands.Add(wait);

        var cancelId = JobId();
        var cancel = new Command("cancel", "Ask the array to cancel a job (a cancelled copy is a failed copy)");
        cancel.Arguments.Add(cancelId);
        cancel.SetClientAction(async (r, client, ct) =>
        {
            string id = r.GetValue(cancelId)!;
            await client.CancelJobAsync(id, ct);
            if (r.Json()) console.WriteJson(new { cancelRequested = id });
            else console.Ui.MarkupLineInterpolated($"asked the array to cancel job {id}; 'snapcat array job wait {id}' shows how it ends");
        });
        job.Subcommands.Add(cancel);
        return job;
    }

    private static Argument<string> JobId()
    {
        var id = new Argument<string>("id") { Description = "Job ID, e.g. j-0123456789ab" };
        id.Validators.Add(a =>
        {
            string? v = a.Tokens.Count > 0 ? a.Tokens[0].Value : null;
            if (string.IsNullOrWhiteSpace(v) || v.Any(c => char.IsWhiteSpace(c) || c == '/'))
                a.AddError($"'{v}' is not a job ID (e.g. j-0123456789ab)");
        });
        return id;
    }
}
