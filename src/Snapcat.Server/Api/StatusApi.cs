using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Server.Jobs;
using Snapcat.Server.Scheduling;

namespace Snapcat.Server.Api;

/// <summary>
/// <c>GET /v1/status?since=</c> (<see cref="ServerStatusDto"/>): what <c>snapcat status</c> shows, gathered in one
/// call so the screen is one moment. <c>since</c> is ISO 8601 or a span back from now (<c>24h</c>, <c>7d</c>,
/// <c>90m</c>); default 24 hours. Arrays are asked at once, each with the reachability timeout, so one that is down
/// shows as down instead of holding the answer.
/// </summary>
public static class StatusApi
{
    public static readonly TimeSpan DefaultSince = TimeSpan.FromHours(24);

    public static void MapServerStatus(this IEndpointRouteBuilder app, ServerRuntime rt, ServerOperations ops, BackupScheduler? scheduler)
    {
        app.MapGet("/v1/status", async (string? since, CancellationToken ct) =>
        {
            var now = rt.Time.GetUtcNow();
            var from = Since(since, now);
            var outcomes = new JobOutcomeQueries(rt.Catalog);
            var defs = await rt.Definitions.ListAsync(ct).ConfigureAwait(false);
            var last = await outcomes.LastByDefinitionAsync(defs.Select(d => d.Name), ct).ConfigureAwait(false);
            var definitions = defs.Select(d =>
            {
                var dto = d.ToDto(now, ops.IsRunning(d.Name));
                return new DefinitionStatusDto(d.Name, d.Kind, d.Host, d.MountPoint, d.Enabled, d.Schedule, dto.NextRun, dto.Running, last.GetValueOrDefault(d.Name));
            }).ToList();
            var running = (await rt.Jobs.ListAsync(200, ct).ConfigureAwait(false)).Where(j => !j.State.IsFinal())
                .Select(j => new RunningJobDto(j.Id, j.Kind, j.Description, j.State, j.Created, j.BytesDone, j.BytesTotal, j.BytesPerSecond, j.EtaSeconds))
                .ToList();
            var failures = await outcomes.FailuresSinceAsync(from, 100, ct).ConfigureAwait(false);
            var missed = (scheduler?.RecentEvents() ?? []).Where(e => e.What == "missed" && e.Time >= from)
                .Select(e => new ScheduleEventDto(e.Time, e.Definition, e.What, e.Detail)).ToList();
            var arrays = await Task.WhenAll(rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).Select(id => ArrayAsync(rt, id, ct))).ConfigureAwait(false);
            var tape = rt.Tapes is { } lib ? Tape(lib.LibraryId, await lib.ListAsync(ct).ConfigureAwait(false)) : null;
            var stateCopy = await rt.StateCopies.StatusAsync(ct).ConfigureAwait(false);
            var drift = await new Drift.DriftStore(rt.Catalog).StatusAsync(ct).ConfigureAwait(false);
            return new ServerStatusDto(now, from, definitions, running, failures, missed, arrays, tape, stateCopy, drift);
        }).RequireRole(CredentialRole.ReadOnly);
    }

    /// <summary>ISO 8601, or a span back from <paramref name="now"/>: a number and s, m, h or d.</summary>
    public static DateTimeOffset Since(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text)) return now - DefaultSince;
        string t = text.Trim();
        if (t.Length >= 2 && "smhd".Contains(t[^1], StringComparison.Ordinal)
            && double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) && n >= 0)
            return now - t[^1] switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), _ => TimeSpan.FromDays(n) };
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at;
        Throw.Invalid("status.bad_since", $"since '{text}' is neither a span (e.g. 24h, 7d, 90m, 30s) nor a time (ISO 8601, e.g. 2026-11-01T02:00:00Z)");
        return default;
    }

    private static async Task<ArrayStatusDto> ArrayAsync(ServerRuntime rt, string id, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PeerReachability.Timeout);
        try
        {
            var array = rt.Remotes.ArrayFor(id);
            var volumes = await array.ListVolumesAsync(false, timeout.Token).ConfigureAwait(false);
            var info = await array.GetArrayAsync(timeout.Token).ConfigureAwait(false);
            return new ArrayStatusDto(id, true, null, volumes.Count(v => v.Kind != "snapshot"), volumes.Count(v => v.Kind == "snapshot"),
                volumes.Sum(v => v.Size), volumes.Sum(v => v.AllocatedBytes), info.DataFreeBytes);
        }
        catch (SnapcatException ex)
        {
            return new ArrayStatusDto(id, false, $"{ex.Message} ({ex.Code})", 0, 0, 0, 0, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ArrayStatusDto(id, false, $"no answer within {PeerReachability.Timeout.TotalSeconds:0} s", 0, 0, 0, 0, null);
        }
        catch (HttpRequestException ex)
        {
            return new ArrayStatusDto(id, false, ex.Message, 0, 0, 0, 0, null);
        }
    }

    private static TapeStatusDto Tape(string libraryId, IReadOnlyList<CartridgeSummary> carts) => new(libraryId, carts.Count,
        carts.Count(c => c.State == "empty"), carts.Count(c => c.State == "appendable"), carts.Count(c => c.State == "closed"),
        carts.Count(c => c.State == "damaged"), carts.Sum(c => c.CapacityBytes), carts.Sum(c => c.FreeBytes), carts.Sum(c => c.Backups.Count));
}
