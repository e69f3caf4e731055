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

    /// <summary>Cartridges new files may be appended to, in the order a writer tries them (the first with room
    /// takes the next file); cartridges from elsewhere (another serial prefix) are not written.</summary>
    IReadOnlyList<string> AppendCandidates();

    /// <summary>Size of the cartridge's image in bytes (0 when it does not exist).</summary>
    long ImageBytes(string volumeSerial);

    /// <summary>Creates a blank cartridge with a fresh serial and mounts it writable.</summary>
    ITapeDrive MountScratch(out string volumeSerial);

    /// <summary>Owner identifier written into VOL1 of new cartridges.</summary>
    string Owner { get; }
}
