using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Snapcat.Contracts.Array;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Json;
using Snapcat.Core.Security;
using Snapcat.Server.Api;

// The folder is Console/, but a namespace Snapcat.Server.Console would hide System.Console from every
// Snapcat.Server.* namespace (the server's tests write with Console.WriteLine): the namespace says WebConsole.
#pragma warning disable IDE0130
namespace Snapcat.Server.WebConsole;
#pragma warning restore IDE0130

/// <summary>
/// Read routes the console's pages need beyond the REST API of ServerApi.cs (all read-only role, all usable by scripts too):
/// <code>
///   GET /v1/backups/search?host=&amp;mountPoint=&amp;label=&amp;kind=&amp;deviceId=&amp;definition=&amp;from=&amp;to=&amp;limit=&amp;after=  -> BackupPageDto (keyset paging)
///   GET /v1/backups/{id}/provenance          -> ProvenanceDto (volume information decoded, every row of the same backup ID, the volume table)
///   GET /v1/cron/next?expression=&amp;timeZone=&amp;count=  -> CronCheckDto (400 schedule.bad_cron / schedule.bad_zone)
///   GET /v1/console/hosts                    -> HostViewDto[] (each agent: protected mount points, hooks, copy destination lists)
///   GET /v1/console/arrays                   -> ArrayViewDto[] (each array: info, volumes with assignments, mirrors and decoded volume information)
/// </code>
/// </summary>
public static class ConsoleApi
{
    public const int MaxPage = 500;

    /// <summary>One page; <see cref="Next"/> is the cursor of the next page (null on the last); <see cref="CatalogRows"/> counts the whole catalog, not the matches.</summary>
    public sealed record BackupPageDto(IReadOnlyList<BackupDto> Items, string? Next, long CatalogRows);

    public sealed record VolumeInfoView(int FormatVersion, string Label, string Host, string MountPoint, DateTimeOffset Timestamp, string Kind,
        string SourceDeviceId, uint SourceVolume, Guid BackupId, string Origin, string? Definition, ulong CatalogNumber);

    /// <summary><see cref="Related"/>: every catalog row with the same backup ID (this one among them); <see cref="TapeLibraryId"/> tells tape rows from array rows.</summary>
    public sealed record ProvenanceDto(BackupDto Backup, VolumeInfoView? Info, string? InfoError, string? PrimaryDeviceId,
        IReadOnlyList<uint> CopyTo, IReadOnlyList<BackupDto> Related, string? TapeLibraryId);

    public sealed record CronCheckDto(string Expression, string TimeZone, IReadOnlyList<DateTimeOffset> Next, double? ShortestIntervalSeconds,
        double MinimumIntervalSeconds, bool TooFrequent);

    public sealed record MountView(string MountPoint, string Port, uint Lun, string? DeviceId, uint? Volume, IReadOnlyList<uint> CopyTo, string? Error);

    public sealed record HostViewDto(string Host, bool Reachable, string? Error, IReadOnlyList<string> Hooks, IReadOnlyList<MountView> MountPoints);

    public sealed record VolumeView(uint Number, long Size, long AllocatedBytes, string Kind, uint? SourceVolume, DateTimeOffset Created,
        IReadOnlyList<AssignmentDto> Assignments, IReadOnlyList<uint> MirrorDestinations, IReadOnlyList<uint> Snapshots, VolumeInfoView? Info);

    public sealed record ArrayViewDto(string DeviceId, bool Reachable, string? Error, ArrayInfo? Info, IReadOnlyList<VolumeView> Volumes);

    public static void MapConsoleApi(this IEndpointRouteBuilder app, ServerRuntime rt)
    {
        app.MapGet("/v1/backups/search", async (string? host, string? mountPoint, string? label, string? kind, string? deviceId, string? definition,
            string? from, string? to, int? limit, string? after, CancellationToken ct) =>
        {
            var filter = new BackupDataFilter
            {
                Host = Blank(host), MountPoint = Blank(mountPoint), Label = Blank(label), Kind = Blank(kind), DeviceId = Blank(deviceId),
                Definition = Blank(definition), From = RouteValues.Time(from, "from"), To = RouteValues.Time(to, "to"),
            };
            int size = limit ?? 50;
            if (size < 1 || size > MaxPage) Throw.Invalid("backup.bad_limit", $"limit {size} is out of range: 1 to {MaxPage} rows a page");
            var cursor = Cursor(after);
            // One more than asked: whether there is a next page, without a count.
            var rows = await rt.Data.SearchPageAsync(filter, cursor, size + 1, ct).ConfigureAwait(false);
            string? next = rows.Count > size ? CursorOf(rows[size - 1]) : null;
            long catalogRows = await rt.Data.CountAsync(ct).ConfigureAwait(false);
            return new BackupPageDto(rows.Take(size).Select(r => r.ToDto()).ToList(), next, catalogRows);
        }).RequireRole(CredentialRole.ReadOnly);

        app.MapGet("/v1/backups/{id}/provenance", async (string id, CancellationToken ct) =>
        {
            var row = await Flows.BackupRows.GetAsync(rt.Data, RouteValues.BackupId(id), ct).ConfigureAwait(false);
            var info = Decode(row.VolumeInfo, out string? why);
            var related = await rt.Data.ListByBackupIdAsync(row.BackupId, ct).ConfigureAwait(false);
            var volume = await rt.Volumes.GetAsync(row.Host, row.MountPoint, ct).ConfigureAwait(false);
            return new ProvenanceDto(row.ToDto(), info, why, volume?.DeviceId, volume?.CopyTo ?? [], related.Select(r => r.ToDto()).ToList(),
                rt.Tapes?.LibraryId);
        }).RequireRole(CredentialRole.ReadOnly);

        app.MapGet("/v1/cron/next", (string? expression, string? timeZone, int? count) =>
        {
            if (string.IsNullOrWhiteSpace(expression)) Throw.Invalid("schedule.bad_cron", "give a cron expression, e.g. expression=0 2 * * * (02:00 every day)");
            string zoneId = string.IsNullOrWhiteSpace(timeZone) ? "UTC" : timeZone.Trim();
            if (!BackupDefinition.TryCron(expression!.Trim(), out var cron, out string? why))
                Throw.Invalid("schedule.bad_cron", $"'{expression}' is not a cron expression: {why}");
            if (!BackupDefinition.TryZone(zoneId, out var zone))
                Throw.Invalid("schedule.bad_zone", $"'{zoneId}' is not a time zone (an IANA name such as Europe/Berlin, or UTC)");
            int n = Math.Clamp(count ?? 5, 1, 50);
            var now = rt.Time.GetUtcNow();
            var next = cron!.GetOccurrences(now, now.AddYears(5), zone!).Take(n).ToList();
            var probe = new BackupDefinition
            {
                Name = "cron-check", Host = "-", MountPoint = "-", Kind = "snapshot", DeviceId = "-", Label = "-", Schedule = expression.Trim(), TimeZone = zoneId,
            };
            var shortest = probe.ShortestInterval(now);
            return new CronCheckDto(expression.Trim(), zoneId, next, shortest?.TotalSeconds, rt.MinimumScheduleInterval.TotalSeconds,
                shortest is { } s && s < rt.MinimumScheduleInterval);
        }).RequireRole(CredentialRole.ReadOnly);

        app.MapGet("/v1/console/hosts", async (CancellationToken ct) =>
            await Task.WhenAll(rt.Remotes.Hosts.Order(StringComparer.Ordinal).Select(h => HostAsync(rt, h, ct))).ConfigureAwait(false))
            .RequireRole(CredentialRole.ReadOnly);

        app.MapGet("/v1/console/arrays", async (CancellationToken ct) =>
            await Task.WhenAll(rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).Select(d => ArrayAsync(rt, d, ct))).ConfigureAwait(false))
            .RequireRole(CredentialRole.ReadOnly);
    }

    public static VolumeInfoView? Decode(ReadOnlySpan<byte> bytes, out string? why)
    {
        if (!VolumeInfoRecord.TryDecode(bytes, out var r, out why)) return null;
        return new VolumeInfoView(r!.FormatVersion, r.Label, r.Host, r.MountPoint, r.Timestamp, SnapcatJson.Name(r.Kind), r.SourceDeviceId, r.SourceVolume,
            r.BackupId, SnapcatJson.Name(r.Origin), r.DefinitionName.Length == 0 ? null : r.DefinitionName, r.CatalogNumber);
    }

    private static async Task<HostViewDto> HostAsync(ServerRuntime rt, string host, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PeerReachability.Timeout);
        try
        {
            var agent = rt.Remotes.AgentFor(host);
            var info = await agent.GetAgentAsync(timeout.Token).ConfigureAwait(false);
            var mounts = new List<MountView>();
            foreach (var v in info.Volumes)
            {
                try
                {
                    var list = await agent.GetCopyDestinationsAsync(v.MountPoint, timeout.Token).ConfigureAwait(false);
                    mounts.Add(new MountView(v.MountPoint, v.Port, v.Lun, list.DeviceId, list.Volume, list.CopyTo, null));
                }
                catch (SnapcatException ex)
                {
                    mounts.Add(new MountView(v.MountPoint, v.Port, v.Lun, null, null, [], $"{ex.Message} ({ex.Code})"));
                }
            }
            return new HostViewDto(host, true, null, info.Hooks, mounts);
        }
        catch (Exception ex) when (ex is SnapcatException or HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new HostViewDto(host, false, ex is OperationCanceledException ? "no answer in time" : ex.Message, [], []);
        }
    }

    private static async Task<ArrayViewDto> ArrayAsync(ServerRuntime rt, string id, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PeerReachability.Timeout);
        try
        {
            var array = rt.Remotes.ArrayFor(id);
            var info = await array.GetArrayAsync(timeout.Token).ConfigureAwait(false);
            var volumes = await array.ListVolumesAsync(true, timeout.Token).ConfigureAwait(false);
            return new ArrayViewDto(id, true, null, info, volumes.Select(v => new VolumeView(v.Number, v.Size, v.AllocatedBytes, v.Kind, v.SourceVolume, v.Created,
                v.Assignments, v.MirrorDestinations, v.Snapshots, v.VolumeInfo is { } b64 ? Decode(Convert.FromBase64String(b64), out _) : null)).ToList());
        }
        catch (Exception ex) when (ex is SnapcatException or HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new ArrayViewDto(id, false, ex is OperationCanceledException ? "no answer in time" : ex.Message, null, []);
        }
    }

    /// <summary>The cursor of a row: "TIMEUS.ID", opaque to the page.</summary>
    private static string CursorOf(BackupDataRow r) => string.Create(CultureInfo.InvariantCulture, $"{TimeUs.From(r.Timestamp)}.{r.Id}");

    private static (long, long)? Cursor(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split('.');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long t)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long i))
            return (t, i);
        Throw.Invalid("backup.bad_cursor", $"after '{text}' is not a page cursor; pass the 'next' of the previous page");
        return null;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
