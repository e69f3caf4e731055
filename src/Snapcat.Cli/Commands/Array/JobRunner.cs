using Snapcat.Array.Api;
using Snapcat.Core.Jobs;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>
/// What a command does with a job the array started: print it, or follow it to its end (a Spectre
/// progress bar on a terminal, nothing but the outcome otherwise) and exit 1 when it did not succeed.
/// </summary>
public static class JobRunner
{
    public static async Task ReportAsync(CliConsole console, bool json, ArrayClient client, JobSnapshot started,
        bool wait, TimeSpan? timeout, CancellationToken ct)
    {
        if (!wait)
        {
            if (json) console.WriteJson(started);
            else console.Ui.MarkupLineInterpolated(
                $"started job [bold]{started.Id}[/]: {started.Description}; follow it with 'snapcat array job wait {started.Id}'");
            return;
        }
        var final = await WaitAsync(console, json, client, started, timeout, ct);
        if (json) console.WriteJson(final);
        else console.Ui.Write(CopyTables.Job(final));
        ArrayClient.EnsureSucceeded(final);
    }

    public static async Task<JobSnapshot> WaitAsync(CliConsole console, bool json, ArrayClient client, JobSnapshot job,
        TimeSpan? timeout, CancellationToken ct)
    {
        try
        {
            if (json || !console.Interactive)
                return await client.WaitForJobAsync(job.Id, null, timeout, null, ct);
            return await console.Ui.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask(Markup.Escape(job.Description), maxValue: Math.Max(1, job.BytesTotal));
                    var final = await client.WaitForJobAsync(job.Id, new Inline(s =>
                    {
                        bar.MaxValue = Math.Max(1, s.BytesTotal);
                        bar.Value = Math.Min(s.BytesDone, bar.MaxValue);
                        if (s.State == JobState.Succeeded) bar.Value = bar.MaxValue;
                    }), timeout, null, ct);
                    bar.StopTask();
                    return final;
                });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl-C stops the waiting, not the job: say how to reach it again.
            console.Error.WriteLine($"job {job.Id} goes on running on the array; 'snapcat array job wait {job.Id}' follows it, 'snapcat array job cancel {job.Id}' stops it");
            throw;
        }
    }

    /// <summary>Reports on the polling thread, in order (System.Progress would post to the thread pool).</summary>
    private sealed class Inline(Action<JobSnapshot> report) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value) => report(value);
    }
}
