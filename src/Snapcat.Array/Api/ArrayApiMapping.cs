using Snapcat.Array.ManagementTable;
using Snapcat.Array.Volumes;

namespace Snapcat.Array.Api;

/// <summary>Management table rows to the contract's DTOs.</summary>
public static class ArrayApiMapping
{
    public static VolumeDto ToDto(this VolumeDetails v, byte[]? info = null, bool withInfo = false) => new(
        v.Number,
        v.Size,
        v.AllocatedBytes,
        v.Kind,
        v.SourceVolume,
        v.Created,
        v.Assignments.Select(ToDto).ToList(),
        v.MirrorDestinations,
        v.Snapshots,
        v.HasVolumeInfo,
        withInfo && info is not null ? Convert.ToBase64String(info) : null);

    public static AssignmentDto ToDto(this AssignmentRecord a) => new(a.Port, checked((uint)a.Lun), a.ReadOnly, a.AllowedIdentities);

    /// <param name="digestRoot">The root of the volume's valid content digest, from the digest store's memory (no file read).</param>
    public static VolumeInfoEntry ToEntry(this VolumeInfoRecordRow r, string? digestRoot = null) =>
        new(checked((uint)r.Number), r.Size, r.Kind, r.VolumeInfo is null ? null : Convert.ToBase64String(r.VolumeInfo), digestRoot);
}
