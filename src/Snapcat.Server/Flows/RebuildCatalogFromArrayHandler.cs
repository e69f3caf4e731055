using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.VolumeInformation;
using Snapcat.Server.Catalog;
using Snapcat.Server.Hosting;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Flows;

/// <summary>
/// FIG. 15, acquisition of the list of backup data: rebuilds the backup data table from the volume
/// information the arrays keep, and from the management information on the tapes (<see cref="TapeRebuild"/>;
/// a damaged cartridge is reported and skipped). Idempotent: a record already in the catalog at the same (device ID,
/// volume) is left alone, another backup there replaces the row. A damaged record is reported with its
/// reason and skipped; the rest is imported. Catalog rows of volumes that no longer carry a backup are
/// reported, not removed (only the delete flow removes rows).
/// </summary>
public sealed class RebuildCatalogFromArrayHandler(ServerRuntime rt)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// <paramref name="tapes"/>: also scan the tape library (labels, management information and trailers of every
    /// cartridge); null means yes when a library is configured and no device IDs were named.
    /// </summary>
    public async Task<RebuildReport> RebuildAsync(IReadOnlyList<string>? deviceIds, JobContext? job = null, CancellationToken ct = default, bool? tapes = null)
    {
        bool scanTapes = tapes ?? (rt.Tapes is not null && deviceIds is not { Count: > 0 });
        var library = scanTapes ? rt.TapeLibraryOrThrow() : null;
        var devices = deviceIds is { Count: > 0 } ? deviceIds : rt.Remotes.DeviceIds.Order(StringComparer.Ordinal).ToArray();
        if (devices.Count == 0 && library is null)
            Throw.Invalid("rebuild.no_arrays", "the server configuration names no arrays; add them under \"arrays\" in server.json");
        var reports = new List<ArrayRebuildReport>();
        foreach (string device in devices)
            reports.Add(await RebuildArrayAsync(device, job, ct).ConfigureAwait(false));
        TapeRebuildReport? tapeReport = null;
        if (library is not null)
        {
            // The tapes after the arrays: both merge by (device ID, media ID), so the order changes no row.
            tapeReport = await new TapeRebuild(library).RebuildAsync(rt.Data, ct).ConfigureAwait(false);
            foreach (var bad in tapeReport.Invalid)
                job?.Warn($"{library.LibraryId} {bad.Where}: {bad.Reason}; not imported");
            job?.Info($"{library.LibraryId}: {tapeReport.Added.Count} added, {tapeReport.Unchanged.Count} already there, " +
                $"{tapeReport.Updated.Count} updated, {tapeReport.Invalid.Count} invalid");
        }
        return new RebuildReport(reports, tapeReport);
    }

    public async Task<JsonNode?> RunAsync(IReadOnlyList<string>? deviceIds, JobContext job, bool? tapes = null)
    {
        var report = await RebuildAsync(deviceIds, job, job.CancellationToken, tapes).ConfigureAwait(false);
        job.Info($"rebuild done: {report.Added} added, {report.Unchanged} already there, {report.Updated} updated, {report.Invalid} invalid");
        return JsonSerializer.SerializeToNode(report, Json);
    }

    private async Task<ArrayRebuildReport> RebuildArrayAsync(string device, JobContext? job, CancellationToken ct)
    {
        var array = rt.Remotes.ArrayFor(device);
        // Step 2420: the array sends back its device ID and volume list — here with each volume's
        // information in the same answer, so step 2421 costs no extra round trip per volume.
        var listing = await array.ListVolumeInfosAsync(ct).ConfigureAwait(false);
        if (listing.DeviceId != device)
            Throw.Conflict("rebuild.device_mismatch",
                $"the array configured as {device} ({array.BaseUrl}) answers as {listing.DeviceId}; fix the URL under \"arrays\" in server.json");
        job?.Info($"{device}: {listing.Volumes.Count} volume(s)");

        var rows = new List<BackupDataRow>();
        var volumes = new List<uint>();
        var invalid = new List<InvalidVolumeInfo>();
        var empty = new List<uint>();
        foreach (var v in listing.Volumes)
        {
            // Step 2421: the volume information of one volume.
            if (v.VolumeInfo is null) { empty.Add(v.Number); continue; }
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
            rows.Add(BackupRows.FromRecord(record!, raw, device, v.Number, BackupOrigin.Rebuild));
            volumes.Add(v.Number);
        }

        // Step 2423 for every valid volume (step 2424: repeat), in one transaction.
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

        var onArray = volumes.Select(n => n.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        var catalogRows = await rt.Data.SearchAsync(new BackupDataFilter { DeviceId = device, Limit = 10_000 }, ct).ConfigureAwait(false);
        var notOnArray = catalogRows.Where(r => !onArray.Contains(r.MediaId)).Select(r => r.MediaId).Distinct().ToList();
        if (notOnArray.Count > 0)
            job?.Warn($"{device}: catalog rows for volume(s) {string.Join(", ", notOnArray)} have no valid volume information on the array");

        job?.Info($"{device}: {added.Count} added, {unchanged.Count} already there, {updated.Count} updated, {invalid.Count} invalid, {empty.Count} without volume information");
        return new ArrayRebuildReport(device, listing.Volumes.Count, added, unchanged, updated, invalid, empty, notOnArray);
    }
}
