using Snapcat.Array.ManagementTable;
using Snapcat.Nbd;

namespace Snapcat.Array.Volumes;

// Port/LUN assignments (FIG. 7 columns 373, 374): which volume a host reaches at data port P, export L.
public sealed partial class VolumeManager
{
    /// <summary>
    /// Assigns a volume to port/LUN. <paramref name="readOnly"/> null means the default: read-write for
    /// a volume, read-only for a snapshot (snapshots cannot be written, so read-write is refused).
    /// <paramref name="allowedIdentities"/> masks the LUN: only NBD clients that proved one of these TLS
    /// identities may open it, so it needs a data port with TLS on.
    /// </summary>
    public AssignmentRecord Assign(uint number, string port, uint lun, bool? readOnly, IReadOnlyList<string>? allowedIdentities = null)
    {
        string canonical = CanonicalPort(port);
        if (allowedIdentities is not null) CheckMasking(canonical, allowedIdentities);
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
            var a = new AssignmentRecord { Port = canonical, Lun = lun, Volume = number, ReadOnly = readOnly ?? snapshot, AllowedIdentities = allowedIdentities?.Distinct(StringComparer.Ordinal).ToArray() };
            _table.InsertAssignment(a, tx);
            return a;
        });
    }

    /// <summary>Ports whose NBD server runs TLS (mode allow or require): only these can tell identities apart.</summary>
    public IReadOnlySet<string> TlsPorts { get; set; } = new HashSet<string>(StringComparer.Ordinal);

    private void CheckMasking(string port, IReadOnlyList<string> identities)
    {
        if (identities.Count == 0)
            Throw.Invalid("lun.masking_empty", "allowedIdentities is empty: no client could open the LUN; leave it out for an unmasked LUN");
        foreach (string id in identities)
        {
            if (string.IsNullOrWhiteSpace(id) || id.Length > 1024 || id.Any(char.IsControl))
                Throw.Invalid("lun.masking_identity", $"allowed identity '{id}' is not valid: 1 to 1024 characters, no control characters");
        }
        if (!TlsPorts.Contains(port))
            Throw.Invalid("lun.masking_needs_tls",
                $"port {port} has tls off, so its clients have no identity and a masked LUN could be opened by no one; set \"tls\": \"require\" (or \"allow\") on this data port, or assign without allowed identities");
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
