using System.Globalization;
using System.Text;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Server;

/// <summary>
/// HTTP client of the backup server's API (ServerContracts.cs), for the CLI and tests. Sending, errors and
/// jobs are <see cref="ControlApiClient"/>'s; this class names the routes.
/// </summary>
public sealed partial class ServerClient : ControlApiClient
{
    private static readonly ControlApiPeer ServerPeer = new("server", "backup server",
        "check that 'snapcat server serve' is running and the URL matches its control.listen",
        "check the token");

    /// <param name="trust">How the peer's certificate is checked on https:// (pinned fingerprint or CA file); null: the system's trust store.</param>
    public ServerClient(Uri baseUrl, string token, TimeSpan? timeout = null, Snapcat.Core.Tls.PeerTrust? trust = null)
        : base(baseUrl, token, trust, ServerPeer, timeout ?? TimeSpan.FromSeconds(100))
    {
    }

    public Task<ServerInfo> GetServerAsync(CancellationToken ct = default) => SendAsync<ServerInfo>(HttpMethod.Get, "v1/server", null, ct);

    /// <summary>GET /v1/audit: the server's audit records at or after <paramref name="since"/> (admin credentials only).</summary>
    public async Task<IReadOnlyList<Snapcat.Core.Security.AuditRecord>> GetAuditAsync(DateTimeOffset? since = null, CancellationToken ct = default) =>
        await SendAsync<Snapcat.Core.Security.AuditRecord[]>(HttpMethod.Get,
            since is { } t ? $"v1/audit?since={Uri.EscapeDataString(t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))}" : "v1/audit", null, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<DefinitionDto>> ListDefinitionsAsync(CancellationToken ct = default) =>
        await SendAsync<DefinitionDto[]>(HttpMethod.Get, "v1/definitions", null, ct).ConfigureAwait(false);

    public Task<DefinitionDto> CreateDefinitionAsync(DefinitionDto d, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Post, "v1/definitions", Body(d), ct);

    public Task<DefinitionDto> GetDefinitionAsync(string name, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Get, "v1/definitions/" + Uri.EscapeDataString(name), null, ct);

    public Task<DefinitionDto> UpdateDefinitionAsync(DefinitionDto d, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Put, "v1/definitions/" + Uri.EscapeDataString(d.Name), Body(d), ct);

    /// <summary>PATCH: only the fields <paramref name="patch"/> gives change (operator role).</summary>
    public Task<DefinitionDto> PatchDefinitionAsync(string name, DefinitionPatch patch, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Patch, "v1/definitions/" + Uri.EscapeDataString(name), Body(patch), ct);

    /// <summary>GET /v1/status: <paramref name="since"/> is a span back from now ("24h", "7d") or an ISO 8601 time; null: 24 hours.</summary>
    public Task<ServerStatusDto> GetStatusAsync(string? since = null, CancellationToken ct = default) =>
        SendAsync<ServerStatusDto>(HttpMethod.Get, since is null ? "v1/status" : "v1/status?since=" + Uri.EscapeDataString(since), null, ct);

    /// <summary>The code of <see cref="FollowJobAsync"/> when the event stream broke or ended before the job did.</summary>
    public const string JobEventsDropped = "job.events_dropped";

    /// <summary>
    /// The job's snapshots as the server sends them (GET /v1/jobs/{id}/events), until its final state. A stream that
    /// breaks first throws <c>job.events_dropped</c>; call again to go on (every snapshot carries the whole log).
    /// </summary>
    public async IAsyncEnumerable<JobSnapshot> FollowJobAsync(string id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var http = CreateStreamingClient();
        await foreach (var s in JobEventReader.ReadAsync(http, Errors, id, ct).ConfigureAwait(false))
            yield return s;
    }

    public Task DeleteDefinitionAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, "v1/definitions/" + Uri.EscapeDataString(name), null, ct);

    public Task<JobSnapshot> RunDefinitionAsync(string name, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/definitions/{Uri.EscapeDataString(name)}/runs", null, ct);

    public async Task<IReadOnlyList<BackupVolumeDto>> ListBackupVolumesAsync(CancellationToken ct = default) =>
        await SendAsync<BackupVolumeDto[]>(HttpMethod.Get, "v1/backup-volumes", null, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<BackupDto>> SearchBackupsAsync(BackupDataFilter f, CancellationToken ct = default)
    {
        var q = new StringBuilder("v1/backups?limit=").Append(f.Limit.ToString(CultureInfo.InvariantCulture))
            .Append("&offset=").Append(f.Offset.ToString(CultureInfo.InvariantCulture));
        void Add(string name, string? value)
        {
            if (value is not null) q.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
        Add("host", f.Host);
        Add("mountPoint", f.MountPoint);
        Add("label", f.Label);
        Add("kind", f.Kind);
        Add("deviceId", f.DeviceId);
        Add("definition", f.Definition);
        Add("from", f.From?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture));
        Add("to", f.To?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture));
        return await SendAsync<BackupDto[]>(HttpMethod.Get, q.ToString(), null, ct).ConfigureAwait(false);
    }

    public Task<BackupDto> GetBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<BackupDto>(HttpMethod.Get, $"v1/backups/{id}", null, ct);

    public Task<JobSnapshot> RestoreAsync(long id, RestoreRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/restores", Body(request), ct);

    public Task<JobSnapshot> DeleteBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Delete, $"v1/backups/{id}", null, ct);

    public Task<JobSnapshot> CopyBackupAsync(long id, CopyRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/copies", Body(request), ct);

    public Task<JobSnapshot> CopyToTapeAsync(long id, TapeCopyRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/tape-copies", Body(request), ct);

    public Task<JobSnapshot> VerifyBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/verifications", null, ct);

    /// <summary>POST /v1/backups/{id}/protection: no prune or delete removes the backup (until <paramref name="until"/>, if given).</summary>
    public Task<BackupDto> ProtectBackupAsync(long id, DateTimeOffset? until = null, CancellationToken ct = default) =>
        SendAsync<BackupDto>(HttpMethod.Post, $"v1/backups/{id}/protection", Body(new ProtectRequest(until)), ct);

    public Task<BackupDto> UnprotectBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<BackupDto>(HttpMethod.Delete, $"v1/backups/{id}/protection", null, ct);

    /// <summary>The prune plan (a dry run) of one definition, or of every definition when <paramref name="definition"/> is null.</summary>
    public Task<PruneReport> PlanPruneAsync(string? definition = null, CancellationToken ct = default) =>
        SendAsync<PruneReport>(HttpMethod.Post, "v1/prune", Body(new PruneRequest(definition, DryRun: true)), ct);

    /// <summary>Starts the prune job; its result is the <see cref="PruneReport"/> with what was deleted.</summary>
    public Task<JobSnapshot> PruneAsync(string? definition = null, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/prune", Body(new PruneRequest(definition)), ct);

    public async Task<IReadOnlyList<CartridgeSummary>> ListCartridgesAsync(CancellationToken ct = default) =>
        await SendAsync<CartridgeSummary[]>(HttpMethod.Get, "v1/tape/cartridges", null, ct).ConfigureAwait(false);

    public Task<CartridgeSummary> RecycleCartridgeAsync(string volumeSerial, CancellationToken ct = default) =>
        SendAsync<CartridgeSummary>(HttpMethod.Post, $"v1/tape/cartridges/{Uri.EscapeDataString(volumeSerial)}/recycle", null, ct);

    public Task<JobSnapshot> RebuildAsync(RebuildRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/catalog/rebuilds", Body(request), ct);

    public Task<OrphanReport> ListOrphansAsync(IReadOnlyList<string>? deviceIds = null, CancellationToken ct = default) =>
        SendAsync<OrphanReport>(HttpMethod.Get,
            "v1/catalog/orphans" + (deviceIds is { Count: > 0 } ? "?" + string.Join("&", deviceIds.Select(d => "deviceId=" + Uri.EscapeDataString(d))) : ""), null, ct);

    public Task<OrphanReport> DeleteOrphansAsync(IReadOnlyList<string>? deviceIds = null, CancellationToken ct = default) =>
        SendAsync<OrphanReport>(HttpMethod.Post, "v1/catalog/orphans/deletions",
            Body(new OrphanRequest(deviceIds, Delete: true)), ct);

    /// <summary>The newest <paramref name="limit"/> jobs, running ones and the history.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> ListJobsAsync(int limit, CancellationToken ct = default) =>
        await SendAsync<JobSnapshot[]>(HttpMethod.Get, $"v1/jobs?limit={limit}", null, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<ScheduleEventDto>> ListScheduleEventsAsync(CancellationToken ct = default) =>
        await SendAsync<ScheduleEventDto[]>(HttpMethod.Get, "v1/schedule-events", null, ct).ConfigureAwait(false);

    /// <summary>A failed or interrupted server job's error says where its log is.</summary>
    public static new JobSnapshot EnsureSucceeded(JobSnapshot job) =>
        EnsureSucceeded(job, job is null ? null : $"'snapcat job show {job.Id}' shows its log");
}
