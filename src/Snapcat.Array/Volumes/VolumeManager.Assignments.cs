using Snapcat.Array.ManagementTable;
using Snapcat.Core.Errors;
using Snapcat.Nbd;

namespace Snapcat.Array.Volumes;

// Port/LUN assignments (FIG. 7 columns 373, 374): which volume a host reaches at data port P, export L.
public sealed partial class VolumeManager
{
    /// <summary>
    /// Assigns a volume to port/LUN. <paramref name="readOnly"/> null means the default: read-write for
    /// a volume, read-only for a snapshot (snapshots cannot be written, so read-write is refused).
    /// </summary>
    public AssignmentRecord Assign(uint number, string port, uint lun, bool? readOnly)
    {
        string canonical = CanonicalPort(port);
        return _table.Transaction(tx =>
        {
            var v = _table.GetVolume(number, tx) ?? throw NotFound(number);
            bool snapshot = v.Kind == VolumeKinds.Snapshot;
            if (snapshot && readOnly == false)
                Throw.Invalid("snapshot.read_only",
                    $"volume {number} is a snapshot of volume {v.SourceNumber} and is read-only; assign it with readOnly=true (or leave readOnly out)");
            var taken = _table.GetAssignment(canonical, lun, tx);
            if (taken is not null)
                Throw.Conflict("lun.taken",
                    $"LUN {lun} on port {canonical} is already assigned to volume {taken.Volume}; release it first or pick another LUN");
            var a = new AssignmentRecord { Port = canonical, Lun = lun, Volume = number, ReadOnly = readOnly ?? snapshot };
            _table.InsertAssignment(a, tx);
            return a;
        });
    }

    public void Release(string port, uint lun)
    {
        string canonical = CanonicalPort(port);
        int n = _table.Transaction(tx => _table.DeleteAssignment(canonical, lun, tx));
        if (n == 0) Throw.NotFound("lun.not_found", $"LUN {lun} on port {canonical} is not assigned");
    }

    public AssignmentRecord GetLun(string port, uint lun)
    {
        string canonical = CanonicalPort(port);
        return _table.Read(t => t.GetAssignment(canonical, lun))
            ?? throw new SnapcatException(ErrorKind.NotFound, "lun.not_found", $"LUN {lun} on port {canonical} is not assigned");
    }

    public IReadOnlyList<AssignmentRecord> AssignmentsOnPort(NbdAddress port) =>
        _table.Read(t => t.AssignmentsOnPort(port.ToString()));

    /// <summary>Parses a port address and checks that it is one of this array's data ports.</summary>
    public string CanonicalPort(string port)
    {
        var a = NbdAddress.Parse(port);
        string canonical = a.ToString();
        if (!_ports.Contains(canonical))
            Throw.NotFound("port.not_found",
                $"{canonical} is not a data port of array {DeviceId}; its data ports are {string.Join(", ", _ports)}");
        return canonical;
    }
}
