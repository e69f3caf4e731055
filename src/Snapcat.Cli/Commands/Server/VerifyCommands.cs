using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using static Snapcat.Cli.Rendering.Cells;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat verify-plan create|list|delete|run|report</c> (scheduled verify with a coverage policy) and
/// <c>snapcat backup verifications ID</c> (a backup's verify history); docs/verify.md.
/// </summary>
public static class VerifyCommands
{
    public static Command Build(CliConsole console)
    {
        var plan = new Command("verify-plan", "Scheduled verify of backups with a coverage policy: re-verify those older than N days, a subset per run").WithConnection();
        plan.Subcommands.Add(Create(console));
        plan.Subcommands.Add(List(console));
        plan.Subcommands.Add(Delete(console));
        plan.Subcommands.Add(Run(console));
        plan.Subcommands.Add(Report(console));
        return plan;
    }

    /// <summary><c>snapcat backup verifications ID</c>: the verify history of one backup, newest first.</summary>
    public static Command Verifications(CliConsole console)
    {
        var id = new Argument<long>("id") { Description = "Backup ID (see 'snapcat backup list')" };
        var command = new Command("verifications", "Show a backup's verify history: when, outcome (ok, sealed, mismatch, failed), digest, bytes") { id };
        command.SetServerAction(async (r, client, ct) =>
            console.ShowList(r, await client.ListVerificationsAsync(r.GetValue(id), ct).ConfigureAwait(false), "never verified", Runs));
        return command;
    }

    private static Argument<string> Name() => new("name") { Description = "Verify plan name" };

    private static Command Create(CliConsole console)
    {
        var name = Name();
        var schedule = new Option<string>("--schedule") { Description = "Cron expression (5 fields, or 6 with seconds), e.g. '0 3 * * *'", Required = true };
        var zone = new Option<string>("--time-zone") { Description = "Time zone of the schedule (default UTC)", DefaultValueFactory = _ => "UTC" };
        var olderThan = new Option<string>("--older-than") { Description = "Re-verify backups last verified longer ago than this: 7d, 36h, 90m, 30s (default 7d)", DefaultValueFactory = _ => "7d" };
        var max = new Option<int?>("--max-per-run") { Description = "Verify at most this many backups per run" };
        var share = new Option<string>("--share") { Description = "Verify at most this share of the scope per run, e.g. 10%" };
        var kind = new Option<string>("--kind") { Description = "Only backups of this kind: mirror, snapshot, tape or copy" };
        var device = new Option<string>("--device") { Description = "Only backups on this array (device ID) or the tape library" };
        var create = new Command("create", "Create a verify plan") { name, schedule, zone, olderThan, max, share, kind, device };
        create.SetServerAction(async (r, client, ct) =>
        {
            if (r.GetValue(max) is not null && r.GetValue(share) is not null)
                throw new UsageException("verify_plan.limit", "give --max-per-run or --share, not both");
            var dto = new VerifyPlanDto
            {
                Name = r.GetValue(name)!, Schedule = r.GetValue(schedule)!, TimeZone = r.GetValue(zone) ?? "UTC",
                OlderThanSeconds = (long)ParseDuration(r.GetValue(olderThan) ?? "7d").TotalSeconds, MaxPerRun = r.GetValue(max),
                SharePercent = r.GetValue(share) is { } s ? ParseShare(s) : null, Kind = r.GetValue(kind), DeviceId = r.GetValue(device),
            };
            console.Show(r, await client.CreateVerifyPlanAsync(dto, ct).ConfigureAwait(false), Plan);
        });
        return create;
    }

    private static Command List(CliConsole console)
    {
        var list = new Command("list", "List the verify plans with their policy and next run");
        list.SetServerAction(async (r, client, ct) =>
            console.ShowList(r, await client.ListVerifyPlansAsync(ct).ConfigureAwait(false), "no verify plans", Plans));
        return list;
    }

    private static Command Delete(CliConsole console)
    {
        var name = Name();
        var delete = new Command("delete", "Delete a verify plan (its verify history stays)") { name };
        delete.SetServerAction(async (r, client, ct) =>
        {
            await client.DeleteVerifyPlanAsync(r.GetValue(name)!, ct).ConfigureAwait(false);
            if (!r.Json()) console.Ui.WriteLine($"verify plan '{r.GetValue(name)}' deleted");
        });
        return delete;
    }

    private static Command Run(CliConsole console)
    {
        var name = Name();
        var run = new Command("run", "Run a verify plan now; its report is the job's result ('snapcat verify-plan report NAME')") { name };
        ServerJobCommands.Jobs.Starts(run, console, (r, client, ct) => client.RunVerifyPlanAsync(r.GetValue(name)!, ct));
        return run;
    }

    private static Command Report(CliConsole console)
    {
        var name = Name();
        var report = new Command("report", "Show the report of a verify plan's last run: scope, verified by outcome, coverage, skipped") { name };
        report.SetServerAction(async (r, client, ct) =>
            console.Show(r, await client.GetVerifyPlanReportAsync(r.GetValue(name)!, ct).ConfigureAwait(false), ReportTable));
        return report;
    }

    /// <summary>"7d", "36h", "90m", "30s" (a number and a unit).</summary>
    public static TimeSpan ParseDuration(string text)
    {
        string t = text.Trim();
        if (t.Length >= 2 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0)
        {
            switch (char.ToLowerInvariant(t[^1]))
            {
                case 'd': return TimeSpan.FromDays(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 's': return TimeSpan.FromSeconds(n);
            }
        }
        throw new UsageException("verify_plan.bad_duration", $"--older-than '{text}' is not a duration: a positive number and d, h, m or s, e.g. 7d");
    }

    /// <summary>"10%" or "10" (percent of the scope).</summary>
    public static double ParseShare(string text)
    {
        string t = text.Trim().TrimEnd('%').Trim();
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) || p <= 0 || p > 100)
            throw new UsageException("verify_plan.bad_share", $"--share '{text}' is not a share: more than 0 and at most 100 percent, e.g. 10%");
        return p;
    }

    private static string Policy(VerifyPlanDto p) =>
        $"older than {Window(p.OlderThanSeconds)}" +
        (p.MaxPerRun is { } m ? $", at most {m} per run" : p.SharePercent is { } s ? $", at most {s.ToString(CultureInfo.InvariantCulture)} % per run" : ", all due per run");

    private static string Scope(VerifyPlanDto p) => (p.Kind ?? "all kinds") + (p.DeviceId is { } d ? $" on {d}" : "");

    private static string Window(long seconds) => seconds % 86400 == 0 ? $"{seconds / 86400}d" : seconds % 3600 == 0 ? $"{seconds / 3600}h" : $"{seconds}s";

    private static Table Plan(VerifyPlanDto p) => Fields().Field("Name", p.Name).Field("Schedule", $"{p.Schedule} ({p.TimeZone})")
        .Field("Policy", Policy(p)).Field("Scope", Scope(p)).Field("Next run (UTC)", Time(p.NextRun)).Field("Last run (UTC)", Time(p.LastRun));

    private static Table Plans(IReadOnlyList<VerifyPlanDto> list)
    {
        var t = new Table().AddColumns("Name", "Schedule", "Policy", "Scope", "Next run (UTC)", "Last run (UTC)");
        foreach (var p in list)
            t.AddRow(Cell(p.Name), Cell($"{p.Schedule} ({p.TimeZone})"), Cell(Policy(p)), Cell(Scope(p)), Cell(Time(p.NextRun)), Cell(Time(p.LastRun)));
        return t;
    }

    private static Table Runs(IReadOnlyList<VerifyRunDto> list)
    {
        var t = new Table().AddColumns("Finished (UTC)", "Outcome", "Digest", "Expected", "Bytes", "Seconds", "Job", "Plan", "Error");
        foreach (var v in list)
            t.AddRow(Cell(Time(v.Finished)), Cell(v.Outcome), Cell(v.Root), Cell(v.ExpectedRoot == v.Root ? "same" : v.ExpectedRoot),
                Cell(v.Bytes.ToString(CultureInfo.InvariantCulture)), Cell((v.Finished - v.Started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)),
                Cell(v.JobId), Cell(v.Plan), Cell(v.Error));
        return t;
    }

    private static Table ReportTable(VerifyPlanReport r)
    {
        var t = Fields().Field("Plan", r.Plan).Field("Run", $"{Time(r.Started)} .. {Time(r.Finished)} (job {r.JobId ?? "-"})")
            .Field("Summary", r.Summary)
            .Field("In scope", r.InScope.ToString(CultureInfo.InvariantCulture)).Field("Due", r.Due.ToString(CultureInfo.InvariantCulture))
            .Field("Verified now", $"{r.Verified}: {r.Ok} ok, {r.Sealed} sealed, {r.Mismatch} mismatch, {r.Failed} failed")
            .Field("Coverage", string.Create(CultureInfo.InvariantCulture, $"{r.CoveragePercent:0.#} % ({r.CoveredAfter} of {r.InScope}) verified in the last {Window(r.WindowSeconds)}"));
        foreach (var i in r.Verifications)
            t.Field($"Backup {i.BackupId}", i.Outcome + (i.Error is { } e ? $": {e}" : ""));
        t.Field("Skipped", r.Skipped.Count == 0 ? "none" : string.Join(", ", r.Skipped));
        return t;
    }
}
