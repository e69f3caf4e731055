using System.CommandLine;
using System.Text.Json;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Jobs;
using Snapcat.Core.Units;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat job log ID [--follow]</c>: a server job's log lines. With <c>--follow</c> it reads the job's server-sent
/// events (GET /v1/jobs/{id}/events) and prints each new line, the progress in steps of 10 % and the state changes
/// until the job ends; the exit code is then the job's (0 succeeded, 1 otherwise). Every event carries the whole
/// snapshot, so after a broken stream one reconnect goes on where the printed lines end (no Last-Event-ID needed).
/// Ctrl-C stops following; the job goes on.
/// </summary>
public static class JobLogCommand
{
    public static Command Build(CliConsole console)
    {
        var id = new Argument<string>("id") { Description = "Job ID, e.g. j-0123456789ab" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow the job until it ends, printing new lines and progress; exit 0 only if it succeeded" };
        var log = new Command("log", "Print a job's log lines; with --follow, follow it to its end") { id, follow };
        log.SetServerAction(async (r, client, ct) =>
        {
            string jobId = r.GetValue(id)!;
            if (string.IsNullOrWhiteSpace(jobId) || jobId.Any(c => char.IsWhiteSpace(c) || c == '/'))
                throw new UsageException("job.bad_id", $"'{jobId}' is not a job ID (e.g. j-0123456789ab)");
            var printer = new Printer(console, r.Json());
            if (!r.GetValue(follow))
            {
                var job = await client.GetJobAsync(jobId, ct).ConfigureAwait(false);
                if (r.Json()) console.WriteJson(job.Log);
                else printer.Lines(job);
                return;
            }
            try
            {
                var final = await FollowAsync(client, jobId, printer, console, ct).ConfigureAwait(false);
                printer.End(final);
                ServerClient.EnsureSucceeded(final);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                console.Error.WriteLine($"stopped following job {jobId}; it goes on running on the server ('snapcat job wait {jobId}', 'snapcat job cancel {jobId}')");
                throw;
            }
        });
        return log;
    }

    /// <summary>Follows the event stream to the job's final state, reconnecting once when it breaks while the job runs.</summary>
    private static async Task<JobSnapshot> FollowAsync(ServerClient client, string id, Printer printer, CliConsole console, CancellationToken ct)
    {
        for (int reconnects = 0; ; reconnects++)
        {
            try
            {
                await foreach (var s in client.FollowJobAsync(id, ct).ConfigureAwait(false))
                {
                    printer.Update(s);
                    if (s.State.IsFinal()) return s;
                }
            }
            catch (SnapcatException ex) when (ex.Code == ServerClient.JobEventsDropped)
            {
                var now = await client.GetJobAsync(id, ct).ConfigureAwait(false);
                printer.Update(now);
                if (now.State.IsFinal()) return now;
                if (reconnects >= 1)
                    throw new SnapcatException(ErrorKind.Remote, ServerClient.JobEventsDropped,
                        $"{ex.Message}, again after one reconnect; job {id} goes on running ('snapcat job wait {id}' follows it by polling)", ex);
                console.Error.WriteLine($"{ex.Message}; reconnecting");
            }
        }
    }

    /// <summary>Prints what is new in each snapshot: log lines past those printed, progress steps, state changes.</summary>
    private sealed class Printer(CliConsole console, bool json)
    {
        private int _printed;
        private int _step = -1;
        private JobState? _state;

        public void Lines(JobSnapshot s)
        {
            for (; _printed < s.Log.Count; _printed++)
            {
                var e = s.Log[_printed];
                console.Out.WriteLine(json ? JsonSerializer.Serialize(e, ControlApiClient.Json)
                    : $"{e.Time.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z {e.Level,-5} {e.Message}");
            }
            console.Out.Flush();
        }

        public void Update(JobSnapshot s)
        {
            if (!json && s.State != _state && !s.State.IsFinal())
                console.Out.WriteLine($"job {s.Id} {s.State.ToString().ToLowerInvariant()}: {s.Description}");
            _state = s.State;
            Lines(s);
            if (json || s.BytesTotal <= 0 || s.State.IsFinal()) return;
            int step = (int)Math.Min(10, 10 * s.BytesDone / s.BytesTotal);
            if (step == _step) return;
            _step = step;
            console.Out.WriteLine($"progress {step * 10}%: {ByteSize.Format(s.BytesDone)} of {ByteSize.Format(s.BytesTotal)}{CopyTables.RateAndEta(s)}");
            console.Out.Flush();
        }

        public void End(JobSnapshot s)
        {
            if (json) return;
            console.Out.WriteLine($"job {s.Id} {s.State.ToString().ToLowerInvariant()}" + (s.ErrorMessage is { } m ? $": {m}" : ""));
            console.Out.Flush();
        }
    }
}
