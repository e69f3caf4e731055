using Snapcat.Tape.Labels;

namespace Snapcat.Tape.Cartridge;

/// <summary>What a label scan found on a cartridge: its volume label, its file sections in order, and
/// how many bytes it can still take (null when the drive does not know).</summary>
public sealed record CartridgeInfo(VolumeLabel Volume, IReadOnlyList<CartridgeFileInfo> Files, long? RemainingBytes)
{
    /// <summary>A cartridge whose last section continues elsewhere is closed: nothing may be appended.</summary>
    public bool IsClosed => Files.Count > 0 && Files[^1].ContinuesOnNextVolume;
}
