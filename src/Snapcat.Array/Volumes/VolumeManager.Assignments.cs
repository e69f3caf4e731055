using Snapcat.Array.ManagementTable;
using Snapcat.Core.Errors;
using Snapcat.Nbd;

namespace Snapcat.Array.Volumes;

// Port/LUN assignments (FIG. 7 columns 373, 374): which volume a host reaches at data port P, export L.
public sealed partial class VolumeManager
{
    public AssignmentRecord Assign(uint number, string port, uint lun, bool readOnly)
    {
        string canonical = CanonicalPort(port);
        return _table.Transaction(tx =>
        {
            if (_table.GetVolume(number, tx) is null) throw NotFound(number);
            var taken = _table.GetAssignment(canonical, lun, tx);
            if (taken is not null)
                Throw.Conflict("lun.taken",
                    $"LUN {lun} on port {canonical} is already assigned to volume {taken.Volume}; release it first or pick another LUN");
            var a = new AssignmentRecord { Port = canonical, Lun = lun, Volume = number, ReadOnly = readOnly };
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
