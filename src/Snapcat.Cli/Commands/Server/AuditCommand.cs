using System.CommandLine;
using Snapcat.Core.Security;

namespace Snapcat.Cli.Commands.Server;

/// <summary>
/// <c>snapcat audit --file F</c> (any daemon's audit log, read on its machine) or <c>snapcat audit --server URL</c>
/// (the backup server's, through GET /v1/audit with an admin token): who did what, as a table or as JSON.
/// </summary>
public static class AuditCommand
{
    public static Command Build(CliConsole console)
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "An audit log file (array: DATA/audit.log, agent: STATE/audit.log, server: audit.log beside server.json)" };
        var since = new Option<string>("--since") { Description = "Only records at or after this time (ISO 8601, e.g. 2026-11-01T02:00:00Z)" };
        var audit = new Command("audit", "Show a daemon's audit log: every mutating call with its principal, role, target and outcome") { file, since };
        audit.WithConnection();
        audit.SetAction(async (r, ct) =>
        {
            DateTimeOffset? from = Since(r.GetValue(since));
            IReadOnlyList<AuditRecord> records;
            if (r.GetValue(file) is { } f)
            {
                if (!f.Exists) throw new UsageException("audit.no_file", $"audit log {f.FullName} does not exist");
                records = AuditLogFile.Read(f.FullName, from);
            }
            else
            {
                using var client = ServerConnection.Open(r);
                records = await client.GetAuditAsync(from, ct).ConfigureAwait(false);
            }
            console.ShowList(r, records, "no audit records", AuditTable.Render);
        });
        return audit;
    }

    private static DateTimeOffset? Since(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
            throw new UsageException("audit.bad_since", $"--since '{text}' is not a time (use ISO 8601, e.g. 2026-11-01T02:00:00Z)");
        return t;
    }
}
