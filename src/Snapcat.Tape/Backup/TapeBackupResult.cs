using Snapcat.Tape.Cartridge;

namespace Snapcat.Tape.Backup;

/// <summary>What was written or read: where the backup starts (its management file), the cartridges it
/// occupies, and the data's length and CRC-32C. <paramref name="Digest"/>: the content digest root of the data as written
/// or read (issue 13); <paramref name="RecordedDigest"/>: the one the tape carries (trailer, else management information),
/// null on a tape written before digests.</summary>
public sealed record TapeBackupResult(TapeFileLocation Location, IReadOnlyList<string> Volumes, long DataBytes, uint Crc32C,
    string? Digest = null, string? RecordedDigest = null);
