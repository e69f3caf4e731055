using Snapcat.Array.ManagementTable;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Array.Volumes;

// Volume information 376 (FIG. 11): 512 bytes kept beside the volume, outside its address space. The
// array stores them opaquely (it does not decode the record: another format ID is the writer's business)
// and never touches the volume's size or data when they change.
public sealed partial class VolumeManager
{
    public const int VolumeInfoLength = VolumeInfoRecord.Size;

    /// <summary>The record, or null when the volume has none.</summary>
    public byte[]? GetVolumeInfo(uint number) =>
        _table.Read(t => t.GetVolume(number) is null ? throw NotFound(number) : t.GetVolumeInfo(number));

    public void PutVolumeInfo(uint number, ReadOnlySpan<byte> info)
    {
        if (info.Length != VolumeInfoLength)
            Throw.Invalid("volume_info.bad_length", $"volume information must be exactly {VolumeInfoLength} bytes; got {info.Length}");
        byte[] copy = info.ToArray();
        int n = _table.Transaction(tx => _table.SetVolumeInfo(number, copy, tx));
        if (n == 0) throw NotFound(number);
    }

    /// <summary>
    /// Removes the record and the content digest kept beside it. The digest goes first (durably): a crash in between
    /// leaves a record without a digest, which the next verify seals again, never a digest without its record.
    /// </summary>
    public void DeleteVolumeInfo(uint number)
    {
        Digests.Drop(number);
        int n = _table.Transaction(tx => _table.SetVolumeInfo(number, null, tx));
        if (n == 0) throw NotFound(number);
    }

    /// <summary>Every volume with its record, in one read (catalog rebuild, FIG. 15).</summary>
    public IReadOnlyList<VolumeInfoRecordRow> ListVolumeInfos() => _table.Read(t => t.ListVolumeInfos());
}
