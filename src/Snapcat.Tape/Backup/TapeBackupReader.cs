using System.Globalization;
using Snapcat.Core.VolumeInformation;
using Snapcat.Tape.Cartridge;

namespace Snapcat.Tape.Backup;

/// <summary>
/// Reads a backup written by <see cref="TapeBackupWriter"/>: the management information, then the data
/// (following continuation cartridges), then the trailer whose length and CRC-32C must match what was read.
/// A mismatch raises <see cref="TapeFormatException"/> <c>tape.checksum_mismatch</c>; the caller must treat
/// bytes already written to the destination as unusable. The data's content digest is computed as it is read; when the
/// tape carries one (trailer or management information version 2) a different one raises <c>digest.mismatch</c>, checked
/// before the CRC-32C. A tape written before digests (version 1 files) reads without that check.
/// </summary>
public sealed class TapeBackupReader(ICartridgeLibrary library)
{
    public TapeManagementRecord ReadManagement(TapeFileLocation location)
    {
        using var reader = new TapeFileSetReader(library);
        return ReadManagement(reader, location);
    }

    public async Task<(TapeManagementRecord Management, TapeBackupResult Result)> CopyDataToAsync(
        TapeFileLocation location, Stream destination, CancellationToken cancellationToken = default)
    {
        using var reader = new TapeFileSetReader(library);
        var management = ReadManagement(reader, location);
        var volumes = new List<string> { location.VolumeSerial };

        var data = reader.OpenNextFile();
        ExpectFile(data.FileIdentifier, management.BackupId, "DATA", reader.CurrentVolume);
        var buffer = new byte[ushort.MaxValue];
        uint crc = 0xFFFFFFFFu;
        var digest = new Snapcat.Core.Integrity.ContentDigestAccumulator();
        long bytes = 0, blocks = 0;
        while (true)
        {
            int n = reader.ReadBlock(buffer);
            if (n == 0)
                break;
            if (reader.CurrentVolume is { } v && !volumes.Contains(v))
                volumes.Add(v);
            crc = Crc32CHash.Append(crc, buffer.AsSpan(0, n));
            digest.Append(buffer.AsSpan(0, n));
            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            bytes += n;
            blocks++;
        }
        crc = ~crc;

        var trailerLabel = reader.OpenNextFile();
        ExpectFile(trailerLabel.FileIdentifier, management.BackupId, "TRLR", reader.CurrentVolume);
        var trailer = TapeBackupTrailer.Parse(ReadWholeFile(reader, buffer));
        uint recorded = uint.Parse(trailer.Crc32C, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (trailer.BackupId != management.BackupId)
            throw new TapeFormatException("tape.trailer.backup", $"trailer belongs to backup {trailer.BackupId}, not {management.BackupId}");
        string root = digest.Finish().RootText;
        if (trailer.Digest is { } t && management.Digest is { } m && t != m)
            throw new TapeFormatException("digest.mismatch",
                $"backup {management.BackupId} on {location}: its trailer says content digest {t} but its management information {m}");
        string? carried = trailer.Digest ?? management.Digest;
        if (carried is not null && carried != root)
            throw new TapeFormatException("digest.mismatch",
                $"backup {management.BackupId} on {location}: read {bytes} bytes with content digest {root}, but the tape carries {carried}: " +
                "its data is damaged");
        if (trailer.DataBytes != bytes || trailer.DataBlocks != blocks || recorded != crc)
            throw new TapeFormatException("tape.checksum_mismatch",
                $"backup {management.BackupId} on {location}: read {bytes} bytes in {blocks} blocks with CRC-32C {TapeBackupTrailer.FormatCrc(crc)}, " +
                $"but {trailer.DataBytes} bytes in {trailer.DataBlocks} blocks with CRC-32C {trailer.Crc32C} were written");
        return (management, new TapeBackupResult(location, volumes, bytes, crc, root, carried));
    }

    private static TapeManagementRecord ReadManagement(TapeFileSetReader reader, TapeFileLocation location)
    {
        var h1 = reader.OpenFile(location);
        if (!h1.FileIdentifier.EndsWith(".MGMT", StringComparison.Ordinal))
            throw new TapeFormatException("tape.not_management", $"file {location} is '{h1.FileIdentifier}', not a Snapcat management information file");
        var record = TapeManagementRecord.Parse(ReadWholeFile(reader, new byte[ushort.MaxValue]));
        ExpectFile(h1.FileIdentifier, record.BackupId, "MGMT", location.VolumeSerial);
        return record;
    }

    private static byte[] ReadWholeFile(TapeFileSetReader reader, byte[] buffer)
    {
        using var ms = new MemoryStream();
        int n;
        while ((n = reader.ReadBlock(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > TapeManagementRecord.MaxBytes)
                throw new TapeFormatException("tape.management.size", $"file '{reader.CurrentFile.FileIdentifier}' is larger than {TapeManagementRecord.MaxBytes} bytes");
        }
        return ms.ToArray();
    }

    private static void ExpectFile(string actual, Guid backupId, string part, string? volume)
    {
        string expected = TapeBackupWriter.FileIdentifier(backupId, part);
        if (actual != expected)
            throw new TapeFormatException("tape.backup_files", $"cartridge {volume}: expected file '{expected}', found '{actual}' (incomplete backup?)");
    }
}
