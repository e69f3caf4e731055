using System.CommandLine;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Jobs;

namespace Snapcat.Cli.Commands.Jobs;

/// <summary>The help texts of one <c>job</c> command group; the two groups word them for their daemon.</summary>
public sealed record JobCommandTexts(string Group, string List, string Wait, string Cancel, string WaitCancelId);

/// <summary>
/// <c>job list|show|wait|cancel</c>: the same four commands over the array's jobs (<c>snapcat array job</c>)
/// and the backup server's (<c>snapcat job</c>), whose routes are the same.
/// </summary>
public static class JobCommands
{
    public static Command Build<TClient>(CliConsole console, JobHome<TClient> home, JobCommandTexts texts, Option[] listOptions,
        Func<ParseResult, TClient, CancellationToken, Task<IReadOnlyList<JobSnapshot>>> listJobs) where TClient : ControlApiClient
    {
        var job = new Command("job", texts.Group);

        var list = new Command("list", texts.List);
        foreach (var o in listOptions) list.Options.Add(o);
        home.Connection.SetAction(list, async (r, client, ct) =>
            console.ShowList(r, await listJobs(r, client, ct).ConfigureAwait(false), "no jobs", CopyTables.Jobs));
        job.Subcommands.Add(list);

        var showId = JobId("Job ID, e.g. j-0123456789ab");
        var show = new Command("show", "Show a job: state, progress, log, error and result") { showId };
        home.Connection.SetAction(show, async (r, client, ct) => console.Show(r, await client.GetJobAsync(r.GetValue(showId)!, ct).ConfigureAwait(false), CopyTables.Job));
        job.Subcommands.Add(show);

        var waitId = JobId(texts.WaitCancelId);
        var timeout = CopyOptions.Timeout();
        timeout.Description = "Give up waiting after this many seconds (the job goes on); 0 waits without limit";
        var wait = new Command("wait", texts.Wait) { waitId, timeout };
        home.Connection.SetAction(wait, async (r, client, ct) =>
        {
            var j = await client.GetJobAsync(r.GetValue(waitId)!, ct).ConfigureAwait(false);
            await home.ReportAsync(console, r.Json(), client, j, wait: true, r.TimeoutOf(timeout), ct).ConfigureAwait(false);
        });
        job.Subcommands.Add(wait);

        var cancelId = JobId(texts.WaitCancelId);
        var cancel = new Command("cancel", texts.Cancel) { cancelId };
        home.Connection.SetAction(cancel, async (r, client, ct) =>
        {
            string id = r.GetValue(cancelId)!;
            await client.CancelJobAsync(id, ct).ConfigureAwait(false);
            console.Say(r, new { cancelRequested = id }, $"asked the {home.Noun} to cancel job {id}; '{home.JobCommand} wait {id}' shows how it ends");
        });
        job.Subcommands.Add(cancel);
        return job;
    }

    /// <summary>A job ID names a path segment of the API: blank, white space or '/' is a usage error here, not a 404 there.</summary>
    private static Argument<string> JobId(string description)
    {
        var id = new Argument<string>("id") { Description = description };
        id.Validators.Add(a =>
        {
            string? v = a.Tokens.Count > 0 ? a.Tokens[0].Value : null;
            if (string.IsNullOrWhiteSpace(v) || v.Any(c => char.IsWhiteSpace(c) || c == '/'))
                a.AddError($"'{v}' is not a job ID (e.g. j-0123456789ab)");
        });
        return id;
    }
}
