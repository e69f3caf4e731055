using System.CommandLine;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Jobs;
using Spectre.Console;

namespace Snapcat.Cli.Commands.Jobs;

/// <summary>
/// Whose jobs a command starts and follows: the array's (<c>snapcat array job …</c>) or the backup
/// server's (<c>snapcat job …</c>). The job routes are the same on every daemon (ControlApiClient), so
/// one piece of code prints, follows and ends them; a home supplies the words and the connection.
/// </summary>
/// <param name="noun">Where a job runs, in messages: "array", "server".</param>
/// <param name="jobCommand">The command group that follows the jobs: <c>snapcat array job</c>.</param>
/// <param name="ensureSucceeded">The client's own check, so a failed job's error can say where its log is.</param>
public sealed class JobHome<TClient>(ControlConnection<TClient> connection, string noun, string jobCommand, Func<JobSnapshot, JobSnapshot> ensureSucceeded)
    where TClient : ControlApiClient
{
    public ControlConnection<TClient> Connection => connection;

    public string Noun => noun;

    public string JobCommand => jobCommand;

    /// <summary>
    /// Makes <paramref name="command"/> one that starts a job: it gets <c>--wait</c> (and with
    /// <paramref name="timeout"/> also <c>--timeout</c>), prints the started job, or follows it to its end.
    /// </summary>
    public void Starts(Command command, CliConsole console, Func<ParseResult, TClient, CancellationToken, Task<JobSnapshot>> start,
        bool timeout = false)
    {
        var wait = CopyOptions.Wait();
        command.Options.Add(wait);
        Option<uint>? limit = null;
        if (timeout)
        {
            limit = CopyOptions.Timeout();
            command.Options.Add(limit);
            CopyOptions.TimeoutNeedsWait(command, wait, limit);
        }
        Connection.SetAction(command, async (r, client, ct) =>
        {
            var job = await start(r, client, ct).ConfigureAwait(false);
            await ReportAsync(console, r.Json(), client, job, r.GetValue(wait), limit is null ? null : r.TimeoutOf(limit), ct).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Prints a started job, or follows it (a progress bar on a terminal, nothing but the outcome
    /// otherwise), prints how it ended unless <paramref name="printFinal"/> is off, and throws when it did not succeed.
    /// </summary>
    /// <returns>The final state, or null when not waiting.</returns>
    public async Task<JobSnapshot?> ReportAsync(CliConsole console, bool json, TClient client, JobSnapshot started,
        bool wait, TimeSpan? timeout, CancellationToken ct, bool printFinal = true)
    {
        if (!wait)
        {
            if (json) console.WriteJson(started);
            else console.Ui.MarkupLineInterpolated(
                $"started job [bold]{started.Id}[/]: {started.Description}; follow it with '{JobCommand} wait {started.Id}'");
            return null;
        }
        var final = await WaitAsync(console, json, client, started, timeout, ct).ConfigureAwait(false);
        if (printFinal)
        {
            if (json) console.WriteJson(final);
            else console.Ui.Write(CopyTables.Job(final));
        }
        return ensureSucceeded(final);
    }

    private async Task<JobSnapshot> WaitAsync(CliConsole console, bool json, TClient client, JobSnapshot started,
        TimeSpan? timeout, CancellationToken ct)
    {
        try
        {
            if (json || !console.Interactive)
                return await client.WaitForJobAsync(started.Id, null, timeout, null, ct).ConfigureAwait(false);
            return await console.Ui.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    string description = Markup.Escape(started.Description);
                    var bar = ctx.AddTask(description, maxValue: Math.Max(1, started.BytesTotal));
                    var final = await client.WaitForJobAsync(started.Id, new Inline(s =>
                    {
                        // The daemon's own rate and ETA (the same numbers 'job show' and the API carry).
                        bar.Description = description + Markup.Escape(CopyTables.RateAndEta(s));
                        bar.MaxValue = Math.Max(1, s.BytesTotal);
                        bar.Value = Math.Min(s.BytesDone, bar.MaxValue);
                        if (s.State == JobState.Succeeded) bar.Value = bar.MaxValue;
                    }), timeout, null, ct).ConfigureAwait(false);
                    bar.StopTask();
                    return final;
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl-C stops the waiting, not the job: say how to reach it again.
            console.Error.WriteLine($"job {started.Id} goes on running on the {Noun}; '{JobCommand} wait {started.Id}' follows it, '{JobCommand} cancel {started.Id}' stops it");
            throw;
        }
    }

    /// <summary>Reports on the polling thread, in order (System.Progress would post to the thread pool).</summary>
    private sealed class Inline(Action<JobSnapshot> report) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value) => report(value);
    }
}
