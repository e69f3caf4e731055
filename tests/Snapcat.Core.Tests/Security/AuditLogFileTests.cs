using Snapcat.Core.Security;
using Snapcat.TestKit;

namespace Snapcat.Core.Tests.Security;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AuditLogFileTests
{
    private static AuditRecord Record(int i, DateTimeOffset t) =>
        new(t, "p" + i, "admin", "POST", "/v1/volumes", i.ToString(System.Globalization.CultureInfo.InvariantCulture), 201, "ok", "127.0.0.1:1");

    [Fact]
    public void Lines_are_appended_to_what_is_there_read_back_since_a_time_and_a_torn_last_line_is_skipped()
    {
        using var dir = new TempDir("audit");
        string path = dir.Combine("logs", "audit.log");
        var t0 = new DateTimeOffset(2026, 12, 4, 22, 0, 0, TimeSpan.Zero);
        using (var log = new AuditLogFile(path))
        {
            log.Append(Record(1, t0));
            log.Append(Record(2, t0.AddMinutes(1)));
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        // Another writer's line, then a power cut in the middle of a line.
        File.AppendAllText(path, "{\"time\":\"2026-12-04T22:0");
        using (var log = new AuditLogFile(path))
        {
            // The torn line is ended first; O_APPEND puts the new line after it, never over the earlier lines.
            log.Append(Record(3, t0.AddMinutes(2)));
        }
        var all = AuditLogFile.Read(path);
        Assert.Equal(["p1", "p2", "p3"], all.Select(r => r.Principal));
        Assert.Equal(Record(2, t0.AddMinutes(1)), all[1]);
        Assert.Equal(["p2", "p3"], AuditLogFile.Read(path, t0.AddSeconds(30)).Select(r => r.Principal));
        Assert.Equal(4, File.ReadAllLines(path).Length);  // three records and the torn line, skipped
        Assert.Empty(AuditLogFile.Read(dir.Combine("missing.log")));
    }
}
