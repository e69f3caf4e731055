using System.Globalization;
using Snapcat.Array.Volumes;
using Snapcat.Nbd;
using Snapcat.Nbd.Server;

namespace Snapcat.Array.DataPorts;

/// <summary>
/// What one data port serves: the volumes assigned to it, export name = LUN in decimal, description =
/// the Inquiry answer (device ID and volume number), so a host can tell which array and volume it
/// reached. Read from the management table on every call, so assignments take effect at once.
/// <paramref name="deviceFor"/> opens what a volume number shows (the copy functions give snapshots
/// their read-only snapshot device); without it only plain volumes are served.
/// </summary>
public sealed class ArrayExportCatalog(NbdAddress port, VolumeManager volumes, Func<uint, IBlockDevice>? deviceFor = null) : INbdExportCatalog
{
    public NbdAddress Port { get; } = port;

    /// <summary>Unmasked LUNs only: a caller without an identity.</summary>
    public IReadOnlyList<NbdExportListing> List() => List(null);

    /// <summary>LUN masking: a masked LUN is listed only to the identities it names.</summary>
    public IReadOnlyList<NbdExportListing> List(string? identity) =>
        volumes.AssignmentsOnPort(Port)
            .Where(a => a.Admits(identity))
            .Select(a => new NbdExportListing(LunName(a.Lun), Describe(a.Volume)))
            .ToList();

    public ValueTask<NbdExportHandle?> OpenAsync(string name, CancellationToken ct) => OpenAsync(name, null, ct);

    /// <summary>
    /// A masked LUN opened by an identity it does not name is null, exactly like a LUN that is not
    /// assigned: the client learns nothing about what else the port serves.
    /// </summary>
    public ValueTask<NbdExportHandle?> OpenAsync(string name, string? identity, CancellationToken ct)
    {
        if (!TryParseLun(name, out uint lun)) return ValueTask.FromResult<NbdExportHandle?>(null);
        var a = volumes.AssignmentsOnPort(Port).FirstOrDefault(x => x.Lun == lun);
        if (a is null || !a.Admits(identity)) return ValueTask.FromResult<NbdExportHandle?>(null);
        uint number = checked((uint)a.Volume);
        IBlockDevice device;
        try
        {
            device = deviceFor is null ? volumes.GetDevice(number) : deviceFor(number);
        }
        catch (SnapcatException ex) when (ex.Kind is ErrorKind.NotFound or ErrorKind.Invalid)
        {
            return ValueTask.FromResult<NbdExportHandle?>(null);  // deleted between the two reads, or not servable
        }
        // Writers are counted so that a restore onto this volume can be refused while hosts write it.
        var onClose = a.ReadOnly || device.IsReadOnly ? null : volumes.AddWriter(number);
        return ValueTask.FromResult<NbdExportHandle?>(
            new NbdExportHandle(LunName(a.Lun), Describe(a.Volume), device, a.ReadOnly, onClose));
    }

    private string Describe(long volume) => new InquiryDescription(volumes.DeviceId, checked((uint)volume)).ToString();

    private static string LunName(long lun) => lun.ToString(CultureInfo.InvariantCulture);

    /// <summary>Canonical decimal only ("7", not "07" or "+7"), so one LUN has exactly one export name.</summary>
    public static bool TryParseLun(string name, out uint lun)
    {
        lun = 0;
        if (name.Length == 0 || name.Length > 10 || (name.Length > 1 && name[0] == '0')) return false;
        return uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out lun);
    }
}
