using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Snapcat.Contracts.Array;
using Snapcat.Server.StateCopy;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 15, acquisition of the list of backup data: rebuilds the backup data table from the volume
/// information the arrays keep, and from the management information on the tapes (<see cref="TapeRebuild"/>;
/// a damaged cartridge is reported and skipped). Idempotent: a record already in the catalog at the same (device ID,
/// volume) is left alone, another backup there replaces the row. A damaged record is reported with its
/// reason and skipped; the rest is imported. Catalog rows of volumes that no longer carry a backup are
/// reported, not removed (only the delete flow removes rows). Each row gets back the ID, origin and definition
/// its record carries (record version 2). Snapshot volumes without a record are listed as orphans, apart from
/// primaries. An array that cannot be read is reported as a row and the rest goes on.
/// </summary>
public sealed partial class RebuildCatalogFromArrayHandler(ServerRuntime rt)
{
    private ILogger Log => rt.Logs.CreateLogger<RebuildCatalogFromArrayHandler>();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// <paramref name="tapes"/>: also scan the tape library (labels, management information and trailers of every
    /// cartridge); null means yes when a library is configured and no device IDs were named.
    /// </summary>
    public async Task<RebuildReport> RebuildAsync(IReadOnlyList<string>? deviceIds, JobContext? job = null, CancellationToken ct = default, bool? tapes = null,
        bool? state = null, string? fromServer = null)
    {
        bool scanTapes = tapes ?? (rt.Tapes is not null && deviceIds is not { Count: > 0 });
        var library = scanTapes ? rt.TapeLibraryOrThrow() : null;
        var devices = deviceIds is { Count: > 0 } ? deviceIds : rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).ToArray();
        if (devices.Count == 0 && library is null)
            Throw.Invalid("rebuild.no_arrays", "the server configuration names no arrays; add them under \"arrays\" in server.json");
        bool restoreState = state ?? true;
        string jobId = job?.JobId ?? "-";
        LogStarted(Log, jobId, devices.Count == 0 ? "none" : string.Join(", ", devices), library?.LibraryId ?? "none");
        // No state copy is written while the catalog is half restored (it would become the newest copy).
        using var pause = rt.StateCopies.Pause();

        // 1. Every array's listing, once: its volume information for the rows, its catalog volumes for the state copies.
        var listings = new Dictionary<string, VolumeInfoListing>(StringComparer.Ordinal);
        var unreadable = new Dictionary<string, string>(StringComparer.Ordinal);
        var copies = new List<FoundCopy>();
        foreach (string device in devices)
        {
            // One array that cannot be read is one row of the report, like a damaged cartridge (issue 9.14): the
            // other arrays and the tapes are still imported. A cancel still ends the whole rebuild.
            try
            {
                var array = rt.Remotes.ArrayFor(device);
                // Step 2420: the array sends back its device ID and volume list — here with each volume's
                // information in the same answer, so step 2421 costs no extra round trip per volume.
                var listing = await array.ListVolumeInfosAsync(ct).ConfigureAwait(false);
                if (listing.DeviceId != device)
                    Throw.Conflict("rebuild.device_mismatch",
                        $"the array configured as {device} ({array.BaseUrl}) answers as {listing.DeviceId}; fix the URL under \"arrays\" in server.json");
                listings[device] = listing;
                if (restoreState) copies.AddRange(await ArrayStateCopies.ReadAllAsync(device, array, listing, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or HttpRequestException or TaskCanceledException or IOException)
            {
                string why = e is SnapcatException se ? $"{se.Message} ({se.Code})" : e.Message;
                job?.Warn($"{device}: not read, {why}; the other arrays and the tapes go on");
                LogArrayUnreadable(Log, jobId, device, why);
                unreadable[device] = why;
            }
        }
        if (restoreState && library is not null)
            copies.AddRange(await new TapeStateCopies(library).ReadAllAsync(ct).ConfigureAwait(false));

        // 2. The newest valid state copy: definitions and the backup volume table first.
        var restore = restoreState ? await RestoreConfigurationAsync(copies, fromServer, job, ct).ConfigureAwait(false) : null;

        // 3. The backup rows from the volume information (FIG. 15) and the tapes' management information.
        var reports = new List<ArrayRebuildReport>();
        foreach (string device in devices)
        {
            if (unreadable.TryGetValue(device, out string? why))
            {
                reports.Add(ArrayRebuildReport.Unreadable(device, why));
                continue;
            }
            var r = await RebuildArrayAsync(device, listings[device], job, ct).ConfigureAwait(false);
            reports.Add(r);
            LogArray(Log, jobId, device, r.Volumes, r.Added.Count, r.Unchanged.Count, r.Updated.Count, r.Invalid.Count, r.Orphans?.Count ?? 0);
        }
        TapeRebuildReport? tapeReport = null;
        if (library is not null)
        {
            // The tapes after the arrays: both merge by (device ID, media ID), so the order changes no row.
            tapeReport = await new TapeRebuild(library).RebuildAsync(rt.Data, ct).ConfigureAwait(false);
            foreach (var bad in tapeReport.Invalid)
                job?.Warn($"{library.LibraryId} {bad.Where}: {bad.Reason}; not imported");
            job?.Info($"{library.LibraryId}: {tapeReport.Added.Count} added, {tapeReport.Unchanged.Count} already there, " +
                $"{tapeReport.Updated.Count} updated, {tapeReport.Invalid.Count} invalid");
            LogTapes(Log, jobId, library.LibraryId, tapeReport.Added.Count, tapeReport.Unchanged.Count, tapeReport.Updated.Count, tapeReport.Invalid.Count);
        }

        // 4. What the records cannot carry, then the job summaries, then the server takes the copy's identity.
        var fresh = reports.SelectMany(a => a.Added.Concat(a.Updated).Select(v => (a.DeviceId, v.ToString(CultureInfo.InvariantCulture))))
            .Concat(tapeReport is null ? [] : tapeReport.Added.Concat(tapeReport.Updated).Select(i => (tapeReport.DeviceId, i.Where)));
        StateRestoreReport? stateReport = restore is null ? null : await FinishStateAsync(restore, fresh, job, ct).ConfigureAwait(false);
        var report = new RebuildReport(reports, tapeReport, stateReport);
        LogFinished(Log, jobId, report.Added, report.Unchanged, report.Updated, report.Invalid, report.Orphans, report.Unreadable);
        pause.Dispose();
        rt.StateCopies.Request();
        return report;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "catalog rebuild {JobId} started: arrays {Arrays}, tape library {Library}")]
    private static partial void LogStarted(ILogger logger, string jobId, string arrays, string library);

    [LoggerMessage(Level = LogLevel.Information, Message = "catalog rebuild {JobId}: array {DeviceId}: {Volumes} volume(s), {Added} added, {Unchanged} already there, {Updated} updated, {Invalid} invalid, {Orphans} orphan snapshot(s)")]
    private static partial void LogArray(ILogger logger, string jobId, string deviceId, int volumes, int added, int unchanged, int updated, int invalid, int orphans);

    [LoggerMessage(Level = LogLevel.Warning, Message = "catalog rebuild {JobId}: array {DeviceId} not read: {Reason}")]
    private static partial void LogArrayUnreadable(ILogger logger, string jobId, string deviceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "catalog rebuild {JobId}: tape library {Library}: {Added} added, {Unchanged} already there, {Updated} updated, {Invalid} invalid")]
    private static partial void LogTapes(ILogger logger, string jobId, string library, int added, int unchanged, int updated, int invalid);

    [LoggerMessage(Level = LogLevel.Information, Message = "catalog rebuild {JobId} finished: {Added} added, {Unchanged} already there, {Updated} updated, {Invalid} invalid, {Orphans} orphan snapshot(s), {Unreadable} array(s) not read")]
    private static partial void LogFinished(ILogger logger, string jobId, int added, int unchanged, int updated, int invalid, int orphans, int unreadable);

    public async Task<JsonNode?> RunAsync(IReadOnlyList<string>? deviceIds, JobContext job, bool? tapes = null, bool? state = null, string? fromServer = null)
    {
        var report = await RebuildAsync(deviceIds, job, job.CancellationToken, tapes, state, fromServer).ConfigureAwait(false);
        job.Info($"rebuild done: {report.Added} added, {report.Unchanged} already there, {report.Updated} updated, {report.Invalid} invalid, " +
            $"{report.Orphans} orphan snapshot(s), {report.Unreadable} array(s) not read");
        return JsonSerializer.SerializeToNode(report, Json);
    }

    private async Task<ArrayRebuildReport> RebuildArrayAsync(string device, VolumeInfoListing listing, JobContext? job, CancellationToken ct)
    {
        job?.Info($"{device}: {listing.Volumes.Count} volume(s)");

        var rows = new List<BackupDataRow>();
        var volumes = new List<uint>();
        var invalid = new List<InvalidVolumeInfo>();
        var empty = new List<uint>();
        var orphans = new List<uint>();
        foreach (var v in listing.Volumes)
        {
            // Step 2421: the volume information of one volume.
            if (v.VolumeInfo is null)
            {
                // A snapshot exists only as a backup; one without its record is an orphan, not a primary.
                (v.Kind == "snapshot" ? orphans : empty).Add(v.Number);
                continue;
            }
            byte[] raw;
            try { raw = Convert.FromBase64String(v.VolumeInfo); }
            catch (FormatException) { invalid.Add(new(v.Number, "the array sent volume information that is not base64")); continue; }
            // Step 2422: valid only when the record has the FIG. 11 format (Snapcat's: format ID, version, checksum, reserved bytes).
            if (!VolumeInfoRecord.TryDecode(raw, out var record, out string? reason))
            {
                invalid.Add(new(v.Number, "volume information " + reason));
                job?.Warn($"{device} volume {v.Number}: volume information {reason}; not imported");
                continue;
            }
            // The server's catalog volume holds its state copy, not a backup: never a row.
            if (ArrayStateCopies.IsCatalogRecord(record!)) continue;
            var row = BackupRows.FromRecord(record!, raw, device, v.Number);
            // A snapshot record on a volume that is no snapshot was copied there (a version 1 record, or a copy made
            // on the array directly): deleting it as a snapshot would be refused forever (issue 15.2).
            if (record!.Kind == BackupKind.Snapshot && v.Kind != "snapshot" && row.Origin != BackupOrigin.Copy)
                row = row with { Origin = BackupOrigin.Copy };
            rows.Add(row);
            volumes.Add(v.Number);
        }
        if (orphans.Count > 0)
            job?.Warn($"{device}: snapshot volume(s) {string.Join(", ", orphans)} have no volume information (orphans of failed backups); " +
                "'snapcat catalog orphans --delete' removes them");

        // Step 2423 for every valid volume (step 2424: repeat), in one transaction. Each row keeps the ID its record carries.
        var outcomes = await rt.Data.MergeAsync(rows, ct).ConfigureAwait(false);
        var added = new List<uint>();
        var unchanged = new List<uint>();
        var updated = new List<uint>();
        for (int i = 0; i < outcomes.Count; i++)
            (outcomes[i] switch
            {
                BackupDataStore.UpsertOutcome.Added => added,
                BackupDataStore.UpsertOutcome.Unchanged => unchanged,
                _ => updated,
            }).Add(volumes[i]);

        // The cross-check reads every catalog row of the array, page by page (issue 9.14).
        var onArray = volumes.Select(n => n.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        var catalogRows = await rt.Data.SearchAllAsync(new BackupDataFilter { DeviceId = device }, ct).ConfigureAwait(false);
        var notOnArray = catalogRows.Where(r => !onArray.Contains(r.MediaId)).Select(r => r.MediaId).Distinct().ToList();
        if (notOnArray.Count > 0)
            job?.Warn($"{device}: catalog rows for volume(s) {string.Join(", ", notOnArray)} have no valid volume information on the array");

        job?.Info($"{device}: {added.Count} added, {unchanged.Count} already there, {updated.Count} updated, {invalid.Count} invalid, " +
            $"{empty.Count} without volume information, {orphans.Count} orphan snapshot(s)");
        return new ArrayRebuildReport(device, listing.Volumes.Count, added, unchanged, updated, invalid, empty, notOnArray, orphans);
    }
}
