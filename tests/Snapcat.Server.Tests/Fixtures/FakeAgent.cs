using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Snapcat.Agent.Api;
using Snapcat.Array.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>
/// A small stand-in for the agent daemon (being written in parallel) that speaks the agent contract's
/// routes the server uses, and does the array side for real: mirror copies and snapshots through the
/// real array's control API, volume information records built with <see cref="VolumeInfoRecord"/> and
/// written to the array, so a catalog rebuild really reads them back. One host, mount points mapped to
/// primary volumes.
/// </summary>
public sealed class FakeAgent : IAsyncDisposable
{
    public const string Token = "agent-token-9d2b";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly JobRegistry _jobs = new();
    private readonly ArrayProcess _array;

    public FakeAgent(string host, ArrayProcess array, IReadOnlyDictionary<string, uint> mountPoints)
    {
        Host = host;
        _array = array;
        MountPoints = mountPoints;
        int port = FreePort.Next();
        Url = new Uri($"http://127.0.0.1:{port}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.Use(async (ctx, next) =>
        {
            if (ctx.Request.Headers.Authorization != $"Bearer {Token}")
            {
                ctx.Response.StatusCode = 401;
                await ctx.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail("auth.bad_token", "bad agent token")));
                return;
            }
            try { await next(ctx); }
            catch (SnapcatException ex)
            {
                ctx.Response.StatusCode = ErrorKindHttp.ToStatusCode(ex.Kind);
                await ctx.Response.WriteAsJsonAsync(new ErrorBody(new ErrorDetail(ex.Code, ex.Message)));
            }
        });
        Map();
    }

    public string Host { get; }
    public Uri Url { get; }
    public IReadOnlyDictionary<string, uint> MountPoints { get; }
    public List<object> Orders { get; } = [];

    /// <summary>When set, the next backup job fails with this message (after the pre-process would have run).</summary>
    public string? FailNextBackup { get; set; }

    public Task StartAsync() => _app.StartAsync();

    private uint Primary(string mountPoint)
    {
        if (!MountPoints.TryGetValue(mountPoint, out uint v))
            Throw.NotFound("mount_point.unknown", $"mount point '{mountPoint}' is not in host {Host}'s port correspondence table");
        return v;
    }

    private void Map()
    {
        var array = _array.Client;
        // The hook names definitions are checked against (issue 9.11).
        _app.MapGet("/v1/agent", () => new AgentInfo(Host, "test", [], [], ["freeze", "thaw"], false, [_array.DeviceId]));
        _app.MapGet("/v1/copy-destinations", async (string mountPoint) =>
        {
            uint primary = Primary(mountPoint);
            var mirrors = await array.ListMirrorsAsync(primary);
            return new CopyDestinationListDto(Host, mountPoint, _array.DeviceId, primary, mirrors.Select(m => m.Secondary).ToList());
        });

        _app.MapPost("/v1/backups", (BackupOrder order) =>
        {
            lock (Orders) Orders.Add(order);
            uint primary = Primary(order.MountPoint);
            string? fail = FailNextBackup;
            FailNextBackup = null;
            var job = _jobs.Start("backup", $"{order.Kind} backup of {order.MountPoint}", async ctx =>
            {
                if (fail is not null) Throw.Conflict("copy.failed", fail);
                var now = VolumeInfoRecord.TruncateToMicros(DateTimeOffset.UtcNow);
                uint volume;
                BackupKind kind;
                if (order.Kind == "mirror")
                {
                    // FIG. 10: the array copies primary -> secondary; then the record goes onto the secondary.
                    var copy = await array.StartCopyAsync(new CopyOrder(primary, null, null, order.DestinationVolume!.Value));
                    ArrayClient.EnsureSucceeded(await array.WaitForJobAsync(copy.Id, pollInterval: TimeSpan.FromMilliseconds(50)));
                    volume = order.DestinationVolume.Value;
                    kind = BackupKind.Mirror;
                }
                else
                {
                    // FIG. 18: the array takes a snapshot; its number comes back with it.
                    volume = (await array.CreateSnapshotAsync(primary)).Number;
                    kind = BackupKind.Snapshot;
                }
                var record = new VolumeInfoRecord
                {
                    Label = order.Label, Host = Host, MountPoint = order.MountPoint, Timestamp = now, Kind = kind,
                    SourceDeviceId = _array.DeviceId, SourceVolume = primary, BackupId = Guid.NewGuid(),
                    Origin = VolumeInfoOrigin.Backup, DefinitionName = order.Definition ?? "", CatalogNumber = (ulong)(order.CatalogNumber ?? 0),
                };
                byte[] raw = record.Encode();
                await array.PutVolumeInfoAsync(volume, raw);
                return JsonSerializer.SerializeToNode(new BackupResultDto(order.Kind, _array.DeviceId, volume, primary, now, order.Label,
                    Convert.ToBase64String(raw)), Json);
            });
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        });

        _app.MapPost("/v1/backup-deletions", (BackupDeletionOrder order) =>
        {
            lock (Orders) Orders.Add(order);
            var job = _jobs.Start("delete", $"delete volume {order.Volume}", async ctx =>
            {
                // FIG. 14 step 1641: the array deletes the volume information (a snapshot: the whole snapshot).
                if (order.IsSnapshot) await array.DeleteVolumeAsync(order.Volume, force: true);
                else await array.DeleteVolumeInfoAsync(order.Volume);
                return null;
            });
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        });

        _app.MapPost("/v1/volume-restores", (VolumeRestoreOrder order) =>
        {
            lock (Orders) Orders.Add(order);
            uint primary = Primary(order.MountPoint);
            var job = _jobs.Start("volume-restore", $"restore {order.MountPoint} from volume {order.BackupVolume}", async ctx =>
            {
                var restore = await array.StartRestoreAsync(new RestoreOrder(order.BackupVolume, primary, order.Force));
                ArrayClient.EnsureSucceeded(await array.WaitForJobAsync(restore.Id, pollInterval: TimeSpan.FromMilliseconds(50)));
                return null;
            });
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        });

        _app.MapPost("/v1/file-restores", (FileRestoreOrder order) =>
        {
            lock (Orders) Orders.Add(order);
            var job = _jobs.Start("file-restore", $"restore {order.Paths.Count} path(s)", ctx =>
                Task.FromResult<JsonNode?>(JsonSerializer.SerializeToNode(new FileRestoreResultDto(order.Destination ?? order.MountPoint ?? "/", order.Paths, 0), Json)));
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        });

        _app.MapGet("/v1/jobs/{id}", (string id) => _jobs.Get(id).Snapshot());
        _app.MapDelete("/v1/jobs/{id}", (string id) => { _jobs.Get(id).Cancel(); return Results.Accepted(); });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
