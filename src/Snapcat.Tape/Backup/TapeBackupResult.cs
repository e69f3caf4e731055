using Snapcat.Tape.Cartridge;

namespace Snapcat.Tape.Backup;

/// <summary>What was written or read: where the backup starts (its management file), the cartridges it
/// occupies, and the data's length and CRC-32C.</summary>
public sealed record TapeBackupResult(TapeFileLocation Location, IReadOnlyList<string> Volumes, long DataBytes, uint Crc32C);
