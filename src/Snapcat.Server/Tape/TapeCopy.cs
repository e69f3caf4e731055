using Snapcat.Tape.Backup;

namespace Snapcat.Server.Tape;

/// <summary>
/// Copy of backup data to tape (FIG. 16, steps 2432 onward; the server's flow gets the volume stream from
/// the agent, step 2431) and restore from tape. The management information — the catalog rows and the
/// 512-byte volume information — is written before the data, so a tape alone tells what it holds.
/// </summary>
public sealed class TapeCopy(TapeLibrary library)
{
    /// <summary>
    /// Writes one backup to the library, appending to the current cartridge and continuing on new ones when
    /// full. Returns the catalog row of the tape copy (not yet recorded: the caller records it): device ID =
    /// library ID, media ID = <c>VOLSER/NNNN</c> (<see cref="TapeMediaId"/>), origin copy; host, mount point,
    /// label, time stamp, backup ID, volume information and <b>kind</b> are the source's — the kind says how the
    /// backup was taken (mirror, snapshot), the device ID says it is now on tape.
    /// Failure: the exception propagates, the backup on tape has no trailer and is reported incomplete; nothing
    /// is to be recorded in the catalog.
    /// Content digest (issue 13): the source row's digest, when it has one, goes into the management information and
    /// the data must match it (<c>digest.mismatch</c> otherwise, the copy cut off again); the returned row carries the
    /// digest the data was written with (the trailer's).
    /// </summary>
    public Task<BackupDataRow> CopyToTapeAsync(Stream volumeData, long size, BackupDataRow source, byte[] volumeInfo,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var info = CheckInput(volumeData, size, volumeInfo, "copy");
        if (info.BackupId != source.BackupId)
            Throw.Invalid("tape.copy.volume_info", $"the volume information is of backup {info.BackupId}, but the source row is backup {source.BackupId}");
        if (source.DeviceId == library.LibraryId)
            Throw.Invalid("tape.copy.source", $"backup {source.MediaId} is already in tape library {library.LibraryId}");

        if (source.Digest is { } d && !Snapcat.Core.Integrity.ContentDigest.IsRootText(d))
            Throw.Invalid("tape.copy.digest", $"backup {source.Id}'s catalog digest '{d}' is not a sha256: root");
        return WriteAsync(volumeData, size, source, volumeInfo, BackupOrigin.Copy, [TapeCatalogRows.ToJson(source)], progress, ct, source.Digest);
    }

    /// <summary>
    /// A tape backup (a definition of kind <c>tape</c>): the data of a frozen source goes straight to the library.
    /// <paramref name="backup"/> is the row to record (kind <c>tape</c>; host, mount point, label, time stamp and
    /// backup ID from <paramref name="volumeInfo"/>, whose kind is <see cref="BackupKind.Tape"/>); device and media ID
    /// are set here, origin backup. The management information holds this row alone: the temporary snapshot the data
    /// was read from is deleted afterwards and is no source anyone could go back to.
    /// </summary>
    public Task<BackupDataRow> BackupToTapeAsync(Stream volumeData, long size, BackupDataRow backup, byte[] volumeInfo,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var info = CheckInput(volumeData, size, volumeInfo, "backup");
        if (info.Kind != BackupKind.Tape || backup.Kind != "tape")
            Throw.Invalid("tape.copy.kind", $"a tape backup's volume information and row say kind tape, not {info.Kind}/{backup.Kind}");
        if (info.BackupId != backup.BackupId)
            Throw.Invalid("tape.copy.volume_info", $"the volume information is of backup {info.BackupId}, but the row is backup {backup.BackupId}");
        return WriteAsync(volumeData, size, backup, volumeInfo, BackupOrigin.Backup, [], progress, ct);
    }

    /// <param name="what">"copy" or "backup", as the messages say it.</param>
    private static VolumeInfoRecord CheckInput(Stream volumeData, long size, byte[] volumeInfo, string what)
    {
        ArgumentNullException.ThrowIfNull(volumeData);
        if (size < 1)
            Throw.Invalid("tape.copy.size", $"a tape {what} needs a volume of at least one byte, not {size}");
        if (!VolumeInfoRecord.TryDecode(volumeInfo, out var info, out string? reason))
            Throw.Invalid("tape.copy.volume_info", $"the volume information to store with the {what} {reason}");
        return info!;
    }

    private Task<BackupDataRow> WriteAsync(Stream volumeData, long size, BackupDataRow template, byte[] volumeInfo, BackupOrigin origin,
        System.Text.Json.Nodes.JsonObject[] moreRows, IProgress<long>? progress, CancellationToken ct, string? expectedDigest = null) =>
        library.UseDriveAsync(writes: true, async () =>
        {
            var now = library.Clock.GetUtcNow();
            BackupDataRow RowAt(Snapcat.Tape.Cartridge.TapeFileLocation location) => template with
            {
                Id = 0,
                DeviceId = library.LibraryId,
                MediaId = TapeMediaId.Format(location),
                VolumeInfo = volumeInfo,
                Origin = origin,
                Recorded = now,
                Digest = expectedDigest,
            };
            // Before appending: a torn or interrupted tail (a crash since start-up) is cut first, so the new backup
            // follows the last complete one instead of failing on the damage (issue 9.4).
            library.RecoverTailsLocked();
            var writer = new TapeBackupWriter(library.Cartridges, library.Clock);
            var data = new SizedSourceStream(volumeData, size, progress);
            TapeBackupResult result;
            try
            {
                result = await writer.WriteAsync(template.BackupId, location => new TapeManagementRecord
                {
                    BackupId = template.BackupId,
                    VolumeInformation = volumeInfo,
                    Digest = expectedDigest,
                    CatalogRows = [TapeCatalogRows.ToJson(RowAt(location)), .. moreRows.Select(r => (System.Text.Json.Nodes.JsonObject)r.DeepClone())],
                }, data, ct).ConfigureAwait(false);
            }
            catch
            {
                // The writer took its files back; should that have failed half way, cut the rest now, still under the
                // append lock, so the failure or cancellation is reported only once the cartridges are clean (15.9).
                library.RecoverTailsLocked();
                throw;
            }
            if (result.DataBytes != size)
                throw new SnapcatException(ErrorKind.Internal, "tape.copy.size_mismatch",
                    $"wrote {result.DataBytes} bytes to tape but the volume has {size}");
            return RowAt(result.Location) with { Digest = result.Digest };
        }, ct);

    /// <summary>
    /// Streams the data of the backup at <paramref name="mediaId"/> to <paramref name="destination"/>, checking its
    /// length and CRC-32C at the end (<c>tape.checksum_mismatch</c>: the destination's content is then unusable).
    /// </summary>
    public Task<TapeBackupResult> RestoreFromTapeAsync(string mediaId, Stream destination, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var location = TapeMediaId.Parse(mediaId);
        return library.UseDriveAsync(writes: false, async () =>
        {
            var (_, result) = await new TapeBackupReader(library.Cartridges)
                .CopyDataToAsync(location, new ProgressWriteStream(destination, progress), ct).ConfigureAwait(false);
            return result;
        }, ct);
    }

    /// <summary>The tape half of a move: copy, then read the copy back and check it. Only when this returns may
    /// the server's delete flow remove the disk backup (the caller records the row first).</summary>
    public async Task<BackupDataRow> CopyAndVerifyAsync(Stream volumeData, long size, BackupDataRow source, byte[] volumeInfo,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var row = await CopyToTapeAsync(volumeData, size, source, volumeInfo, progress, ct).ConfigureAwait(false);
        var check = await library.VerifyAsync(row.MediaId, ct).ConfigureAwait(false);
        if (check.DataBytes != size)
            throw new SnapcatException(ErrorKind.Internal, "tape.verify.size", $"the tape copy {row.MediaId} reads back {check.DataBytes} bytes, expected {size}");
        return row;
    }
}
