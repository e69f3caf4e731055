using Snapcat.Tape.Cartridge;
using Snapcat.Tape.Drive;

namespace Snapcat.Server.Tape;

/// <summary>
/// The library's cartridges as the tape layer sees them, refusing a new scratch cartridge when every slot
/// is taken (<c>tape.library_full</c>), so a copy that needs one more cartridge fails before writing it.
/// </summary>
internal sealed class SlotLimitedLibrary(DirectoryCartridgeLibrary inner, int slots) : ICartridgeLibrary
{
    public IReadOnlyList<string> VolumeSerials() => inner.VolumeSerials();
    public ITapeDrive Mount(string volumeSerial, bool writable) => inner.Mount(volumeSerial, writable);
    public IReadOnlyList<string> AppendCandidates() => inner.AppendCandidates();
    public long ImageBytes(string volumeSerial) => inner.ImageBytes(volumeSerial);
    public string Owner => inner.Owner;

    public ITapeDrive MountScratch(out string volumeSerial)
    {
        EnsureFreeSlot(1);
        return inner.MountScratch(out volumeSerial);
    }

    public void EnsureFreeSlot(int count)
    {
        int used = inner.VolumeSerials().Count;
        if (used + count > slots)
            throw new SnapcatException(ErrorKind.Conflict, "tape.library_full",
                $"the tape library has {slots} slots and {used} cartridges; export a cartridge or raise 'slots' to add {count} more");
    }
}
