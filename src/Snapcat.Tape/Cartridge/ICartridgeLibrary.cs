using Snapcat.Tape.Drive;

namespace Snapcat.Tape.Cartridge;

/// <summary>
/// Where cartridges come from: the server's virtual tape library, or a test directory. Readers use it to
/// find the cartridge that continues a file; writers to get the cartridge to append to and fresh scratch ones.
/// Drives returned are loaded; the caller unloads (disposes) them.
/// </summary>
public interface ICartridgeLibrary
{
    IReadOnlyList<string> VolumeSerials();

    ITapeDrive Mount(string volumeSerial, bool writable);

    /// <summary>The cartridge new files are appended to, or null when a scratch cartridge must be started.</summary>
    string? AppendVolumeSerial { get; }

    /// <summary>Creates a blank cartridge with a fresh serial and mounts it writable.</summary>
    ITapeDrive MountScratch(out string volumeSerial);

    /// <summary>Owner identifier written into VOL1 of new cartridges.</summary>
    string Owner { get; }
}
