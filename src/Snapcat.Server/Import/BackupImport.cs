using System.Globalization;
using Microsoft.Extensions.Logging;
using Snapcat.Contracts.Array;
using Snapcat.Core.Integrity;
using Snapcat.Server.Flows;

namespace Snapcat.Server.Import;

/// <summary>
/// Portable backups (docs/import.md): a backup volume from elsewhere — a raw image with its volume information and digest
/// file, or a volume of another array — becomes a new volume on one of this server's arrays and a row of its catalog.
/// Identity is proven before anything is written: the record must decode (format, checksum); a backup ID the catalog has
/// already is refused unless it is the same backup (same record, apart from the catalog number, and the same digest),
/// which is "already imported" and changes nothing. The data is proven after it is written: the array checks the digest
/// file against the volume (PUT digest, 409 <c>digest.mismatch</c>).
///
/// Failure policy and order: the volume is created, the data written, the digest proven, then the record (with this
/// catalog's number) written to the volume, and only then the row recorded. Any failure before the row deletes the new
/// volume, so a refused import leaves nothing behind; a crash between the record and the row leaves a volume whose
/// record the drift reconcile reports (record_not_in_catalog, fixed by adding the row).
/// </summary>
public sealed partial class BackupImport(ServerRuntime rt)
{
    private ILogger Log => rt.Logs.CreateLogger<BackupImport>();

    /// <summary>The record and digest checked, and what the catalog says of the backup ID: the same backup already, or nothing.</summary>
    public sealed record Identity(VolumeInfoRecord Record, ContentDigest? Digest, BackupDataRow? Existing);

    public async Task<Identity> ProveIdentityAsync(ReadOnlyMemory<byte> volumeInfo, byte[]? digestFile, long size, CancellationToken ct)
    {
        if (volumeInfo.Length != VolumeInfoRecord.Size)
            Throw.Invalid("import.bad_record", $"the volume information is {volumeInfo.Length} bytes; a record is {VolumeInfoRecord.Size}");
        if (!VolumeInfoRecord.TryDecode(volumeInfo.Span, out var record, out string? reason))
            Throw.Invalid("import.bad_record", $"the volume information {reason}; it is no Snapcat record, or it is damaged");
        if (!Drift.DriftChecker.IsBackupKind(record!.Kind))
            Throw.Invalid("import.not_a_backup", $"the volume information is of kind {record.Kind}, not of a backup; only backup volumes are imported");
        ContentDigest? digest = null;
        if (digestFile is { } d)
        {
            digest = ContentDigest.Parse(d);
            if (digest.Length != size)
                Throw.Invalid("import.size_mismatch", $"the digest describes {digest.Length} bytes but the data is {size} bytes; they are not of the same volume");
        }
        var same = (await rt.Data.SearchAllAsync(new BackupDataFilter { Host = record!.Host, MountPoint = record.MountPoint }, ct).ConfigureAwait(false))
            .Where(r => r.BackupId == record.BackupId).OrderBy(r => r.Id).ToList();
        foreach (var row in same)
        {
            if (VolumeInfoRecord.TryDecode(row.VolumeInfo, out var there, out _) && (there! with { CatalogNumber = 0 }) == (record with { CatalogNumber = 0 })
                && (digest is null || string.Equals(row.Digest, digest.RootText, StringComparison.Ordinal)))
                return new Identity(record, digest, row);
        }
        if (same.FirstOrDefault() is { } other)
            Throw.Conflict("import.backup_id_taken",
                $"backup ID {record.BackupId} is in this catalog already as backup {other.Id} (volume {other.MediaId} on {other.DeviceId}) with another record or digest; " +
                "the same ID must not name two different backups");
        return new Identity(record, digest, null);
    }

    public static ImportResult Already(BackupDataRow row) =>
        new(row.Id, row.DeviceId, uint.TryParse(row.MediaId, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) ? n : 0, row.BackupId, true, row.Digest,
            [$"backup {row.BackupId} is in the catalog already as backup {row.Id} ({row.MediaId} on {row.DeviceId}) with the same record and digest; nothing was done"]);

    /// <summary>
    /// Proves the data of the new volume (<paramref name="digestFile"/> given: the array checks it; none: the array seals one,
    /// with a warning), writes the record with this catalog's number, records the row. Deletes the volume on any failure.
    /// </summary>
    public async Task<ImportResult> FinishAsync(ArrayClient array, string deviceId, uint volume, Identity identity, byte[]? digestFile,
        List<string> warnings, JobContext? job, CancellationToken ct)
    {
        try
        {
            string root;
            if (digestFile is { } d)
            {
                // The array reads the volume and keeps the digest only when it describes the data (409 digest.mismatch).
                root = (await array.PutDigestAsync(volume, d, "import", ct).ConfigureAwait(false)).Root;
                job?.Info($"the array proved volume {volume}'s data against the digest {root}");
            }
            else
            {
                var done = ArrayClient.EnsureSucceeded(await array.WaitForJobAsync((await array.StartVerifyAsync(volume, ct).ConfigureAwait(false)).Id, ct: ct).ConfigureAwait(false));
                root = array.ResultOf<VolumeVerifyResult>(done).Root;
                warnings.Add($"no digest came with the image: the array sealed one on arrival ({root}), but nothing proves the data is what was exported");
            }
            long id = await rt.Data.AllocateIdAsync(ct).ConfigureAwait(false);
            var record = identity.Record with { CatalogNumber = (ulong)id };
            byte[] raw = record.Encode();
            await array.PutVolumeInfoAsync(volume, raw, ct).ConfigureAwait(false);
            var row = BackupRows.FromRecord(record, raw, deviceId, volume) with { Digest = root };
            // An imported volume is never a snapshot of this array: a snapshot's record makes a copy row (issue 15.2).
            if (record.Kind == BackupKind.Snapshot && row.Origin != BackupOrigin.Copy) row = row with { Origin = BackupOrigin.Copy };
            id = await rt.Data.RecordAsync(row with { Id = id }, ct).ConfigureAwait(false);
            LogImported(Log, record.BackupId, id, deviceId, volume, root);
            return new ImportResult(id, deviceId, volume, record.BackupId, false, root, warnings);
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or IOException or OperationCanceledException)
        {
            await DeleteQuietlyAsync(array, deviceId, volume).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes a volume an import made; a failure is logged, never hides the import's own error.</summary>
    public async Task DeleteQuietlyAsync(ArrayClient array, string deviceId, uint volume)
    {
        try { await array.DeleteVolumeAsync(volume, force: true, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or IOException)
        {
            LogLeftBehind(Log, deviceId, volume, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "imported backup {BackupId} as catalog backup {Id} into volume {Volume} on {DeviceId}, digest {Digest}")]
    private static partial void LogImported(ILogger logger, Guid backupId, long id, string deviceId, uint volume, string digest);

    [LoggerMessage(Level = LogLevel.Error, Message = "a failed import could not delete its volume {Volume} on {DeviceId}: {Reason}; delete it by hand")]
    private static partial void LogLeftBehind(ILogger logger, string deviceId, uint volume, string reason);
}
