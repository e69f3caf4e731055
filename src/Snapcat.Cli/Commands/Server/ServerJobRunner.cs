using Snapcat.Core.Jobs;
using Snapcat.Server.Api;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>A server job started by a command: print it, or follow it (progress bar on a terminal) and exit 1 when it failed.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class ServerJobRunner
{
    public static async Task<JobSnapshot?> ReportAsync(CliConsole console, bool json, ServerClient client, JobSnapshot started,
        bool wait, TimeSpan? timeout, CancellationToken ct, bool printFinal = true)
    {
        if (!wait)
        {
            if (json) console.WriteJson(started);
            else console.Ui.MarkupLineInterpolated($"started job [bold]{started.Id}[/]: {started.Description}; follow it with 'snapcat job wait {started.Id}'");
            return null;
        }
        JobSnapshot final;
        try
        {
            if (json || !console.Interactive)
                final = await client.WaitForJobAsync(started.Id, null, timeout, ct);
            else
                final = await console.Ui.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(async ctx =>
                    {
                        string description = Markup.Escape(started.Description);
                        var bar = ctx.AddTask(description, maxValue: 1);
                        var f = await client.WaitForJobAsync(started.Id, new Inline(s =>
                        {
                            // The server's rate and ETA (the same numbers the API and the event stream carry).
                            bar.Description = description + Markup.Escape(CopyTables.RateAndEta(s));
                            bar.MaxValue = Math.Max(1, s.BytesTotal);
                            bar.Value = Math.Min(s.BytesDone, bar.MaxValue);
                            if (s.State.IsFinal()) bar.Value = bar.MaxValue;
                        }), timeout, ct);
                        bar.StopTask();
                        return f;
                    });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            console.Error.WriteLine($"job {started.Id} goes on running on the server; 'snapcat job wait {started.Id}' follows it, 'snapcat job cancel {started.Id}' stops it");
            throw;
        }
        if (printFinal)
        {
            if (json) console.WriteJson(final);
            else console.Ui.Write(CopyTables.Job(final));
        }
        ServerClient.EnsureSucceeded(final);
        return final;
    }

    private sealed class Inline(Action<JobSnapshot> report) : IProgress<JobSnapshot>
    {
        public void Report(JobSnapshot value) => report(value);
    }
}
