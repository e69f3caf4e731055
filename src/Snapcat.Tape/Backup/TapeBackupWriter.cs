using Snapcat.Core.Errors;
using Snapcat.Core.VolumeInformation;
using Snapcat.Tape.Cartridge;

namespace Snapcat.Tape.Backup;

/// <summary>
/// Writes one backup to the library as three labelled files (docs/tape-format.md):
/// <c>SC.xxxxxxxx.MGMT</c> (management information), <c>SC.xxxxxxxx.DATA</c> (the volume's bytes in
/// 61,440-byte blocks, the last one shorter) and <c>SC.xxxxxxxx.TRLR</c> (length and CRC-32C of the data).
/// Failure policy: if the data stream fails, the copy is cancelled or a drive fails, the files written so far are
/// cut off again (<see cref="TapeFileSetWriter.Abandon"/>), every cartridge ends as it did before, and the exception
/// propagates; the catalog must not record anything. Should even the cut fail (or the process die mid-write), the
/// backup is left without TRLR and reads as incomplete until <see cref="TapeTailRepair"/> cuts it.
/// Content digest (issue 13): the data's digest is computed as it is written and goes into the trailer (version 2);
/// when the management information names the digest the data must have (the disk backup's), a different one fails
/// the write with <c>digest.mismatch</c> before the trailer, and the files are cut off as for any other failure.
/// </summary>
public sealed class TapeBackupWriter(ICartridgeLibrary library, TimeProvider? clock = null)
{
    /// <summary>60 KiB: the largest multiple of 4 KiB under the 65,535-byte AWSTAPE/Hercules 3.13 limit,
    /// so restores write page-aligned pieces to the volume.</summary>
    public const int DataBlockLength = 61_440;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public static string FileIdentifier(Guid backupId, string part) => $"SC.{backupId.ToString("N")[..8].ToUpperInvariant()}.{part}";

    public Task<TapeBackupResult> WriteAsync(TapeManagementRecord management, Stream data, CancellationToken cancellationToken = default) =>
        WriteAsync(management.BackupId, _ => management, data, cancellationToken);

    /// <summary>
    /// As above, but the management information is built once the MGMT file's location is known, so the
    /// catalog row stored in it can name its own media ID (volume serial + file sequence).
    /// </summary>
    public async Task<TapeBackupResult> WriteAsync(Guid backupId, Func<TapeFileLocation, TapeManagementRecord> management, Stream data,
        CancellationToken cancellationToken = default)
    {
        // Validate before the first label is written: a failure after BeginFile would leave the cartridge unterminated.
        var probe = management(new TapeFileLocation("PROBE", 1));
        if (probe.BackupId != backupId)
            throw new ArgumentException($"management information names backup {probe.BackupId}, not {backupId}", nameof(management));
        probe.Serialize();

        using var set = new TapeFileSetWriter(library, _clock);
        try
        {
            return await WriteFilesAsync(set, backupId, management, data, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Whatever failed (the source, a cancellation, the drive), the backup has no TRLR and can never be read:
            // take its files back off the cartridges before reporting, so it does not occupy them. If the drive fails
            // here too, the cartridge keeps a torn tail that TapeTailRepair cuts before the next append.
            try { set.Abandon(); }
            catch (Exception e) when (e is SnapcatException or IOException) { }
            throw;
        }
    }

    private async Task<TapeBackupResult> WriteFilesAsync(TapeFileSetWriter set, Guid backupId, Func<TapeFileLocation, TapeManagementRecord> management,
        Stream data, CancellationToken cancellationToken)
    {
        var location = set.BeginFile(FileIdentifier(backupId, "MGMT"), DataBlockLength);
        var record = management(location) with { WrittenUtc = _clock.GetUtcNow() };
        byte[] json = record.Serialize();
        for (int at = 0; at < json.Length; at += DataBlockLength)
            set.WriteBlock(json.AsSpan(at, Math.Min(DataBlockLength, json.Length - at)));
        set.EndFile();

        set.BeginFile(FileIdentifier(record.BackupId, "DATA"), DataBlockLength);
        var buffer = new byte[DataBlockLength];
        uint crc = 0xFFFFFFFFu;
        var digest = new Snapcat.Core.Integrity.ContentDigestAccumulator();
        long bytes = 0, blocks = 0;
        while (true)
        {
            int n = await data.ReadAtLeastAsync(buffer, DataBlockLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                break;
            crc = Crc32CHash.Append(crc, buffer.AsSpan(0, n));
            digest.Append(buffer.AsSpan(0, n));
            set.WriteBlock(buffer.AsSpan(0, n));
            bytes += n;
            blocks++;
            if (n < DataBlockLength)
                break;
        }
        set.EndFile();
        crc = ~crc;
        string root = digest.Finish().RootText;
        // The data is not what the disk backup's digest says: no trailer, so the copy never reads as complete; the
        // caller's catch cuts the files written so far.
        if (record.Digest is { } expected && !string.Equals(expected, root, StringComparison.Ordinal))
            throw new TapeFormatException("digest.mismatch",
                $"the data written for backup {record.BackupId} has content digest {root}, but the disk backup's digest is {expected}: " +
                "the source changed or was read wrong; the tape copy is discarded");

        var trailer = new TapeBackupTrailer
        {
            BackupId = record.BackupId, DataBytes = bytes, DataBlocks = blocks, Crc32C = TapeBackupTrailer.FormatCrc(crc), Digest = root,
        };
        set.BeginFile(FileIdentifier(record.BackupId, "TRLR"), DataBlockLength);
        set.WriteBlock(trailer.Serialize());
        set.EndFile();
        return new TapeBackupResult(location, set.VolumesUsed.Distinct().ToList(), bytes, crc, root, root);
    }
}
