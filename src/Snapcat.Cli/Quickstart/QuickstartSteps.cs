using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Snapcat.Array.Api;
using Snapcat.Array.Config;
using Snapcat.Core.Errors;
using Snapcat.Core.VolumeInformation;
using Snapcat.Nbd;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>
/// The steps of <c>snapcat quickstart</c>, in order. Later issues append the agent, the backup server,
/// a backup and a restore; each step stays a named method so the list reads like the tour it gives.
/// </summary>
public static class QuickstartSteps
{
    public const string VolumeSize = "64M";
    private const int PatternBytes = 4 << 20;

    public static IReadOnlyList<QuickstartStep> All { get; } =
    [
        new("Write an array configuration", WriteConfigAsync),
        new("Start the disk array", StartArrayAsync),
        new("Create two volumes of " + VolumeSize, CreateVolumesAsync),
        new("Assign them to LUN 1 and LUN 2", AssignAsync),
        new("Write data to LUN 1 over NBD (nbdcopy)", WriteDataAsync),
        new("Inquiry: nbdinfo shows device ID and volume", InquiryAsync),
        new("Write and read back volume information", VolumeInfoAsync),
        new("List the volumes", ListAsync),
    ];

    private static readonly JsonSerializerOptions ConfigJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static Task WriteConfigAsync(QuickstartContext c, CancellationToken ct)
    {
        c.DeviceId = "QUICKSTART-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(2));
        c.Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        int control = FreeLoopbackPort(), data = FreeLoopbackPort();
        c.ControlUrl = $"http://127.0.0.1:{control}";
        c.DataPort = $"127.0.0.1:{data}";
        var config = new ArrayConfig
        {
            DeviceId = c.DeviceId,
            DataDirectory = "data",
            Control = new ControlEndpointConfig { Listen = $"127.0.0.1:{control}", Token = c.Token },
            DataPorts = [new DataPortConfig { Listen = c.DataPort }],
        };
        File.WriteAllText(c.ConfigPath, JsonSerializer.Serialize(config, ConfigJson));
        c.Note($"device ID {c.DeviceId}, control API {c.ControlUrl}, data port (NBD) {c.DataPort}");
        c.Note($"configuration: {c.ConfigPath}");
        return Task.CompletedTask;
    }

    private static async Task StartArrayAsync(QuickstartContext c, CancellationToken ct)
    {
        c.Array = ArrayChild.Start(c.ConfigPath, c.LogPath);
        c.Client = new ArrayClient(new Uri(c.ControlUrl), c.Token, TimeSpan.FromSeconds(10));
        // Poll the control API: the daemon is ready when it answers, not after a fixed delay.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (c.Array.HasExited)
                Throw.Remote("quickstart.array_exited",
                    $"the array (pid {c.Array.Pid}) exited with code {c.Array.ExitCode} before its control API answered (its last log lines are shown above; --keep keeps array.log)");
            try
            {
                var info = await c.Client.GetArrayAsync(ct);
                c.Note($"snapcat array serve --config array.json (pid {c.Array.Pid}); device {info.DeviceId}, version {info.Version}");
                return;
            }
            catch (SnapcatException ex) when (ex.Code is "array.unreachable" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private static async Task CreateVolumesAsync(QuickstartContext c, CancellationToken ct)
    {
        for (int i = 0; i < 2; i++)
        {
            var v = await c.RequireClient().CreateVolumeAsync(VolumeSize, ct);
            c.Volumes.Add(v.Number);
            c.Note($"snapcat array volume create --size {VolumeSize}  -> volume {v.Number}");
        }
    }

    private static async Task AssignAsync(QuickstartContext c, CancellationToken ct)
    {
        for (int i = 0; i < c.Volumes.Count; i++)
        {
            uint lun = (uint)(i + 1);
            var a = await c.RequireClient().AssignAsync(c.Volumes[i], c.DataPort, lun, ct: ct);
            c.Note($"snapcat array assign {c.Volumes[i]} --port {a.Port} --lun {a.Lun}  -> {c.NbdUri(lun)}");
        }
    }

    // TODO: once Snapcat.Nbd.Client.NbdClient exists, write and read back through it, so this step
    // needs no external tool; nbdcopy stays the independent check in the tests.
    private static async Task WriteDataAsync(QuickstartContext c, CancellationToken ct)
    {
        string? nbdcopy = ExternalTool.Find("nbdcopy");
        if (nbdcopy is null)
        {
            c.Skip("nbdcopy is not installed (Debian package libnbd-bin)");
            return;
        }
        byte[] pattern = Pattern(PatternBytes);
        string input = Path.Combine(c.Directory, "pattern.bin"), readback = Path.Combine(c.Directory, "readback.bin");
        await File.WriteAllBytesAsync(input, pattern, ct);
        await ExternalTool.RunCheckedAsync(nbdcopy, [input, c.NbdUri(1)], TimeSpan.FromSeconds(15), ct);
        await ExternalTool.RunCheckedAsync(nbdcopy, [c.NbdUri(1), readback], TimeSpan.FromSeconds(15), ct);
        byte[] back = new byte[PatternBytes];
        await using (var f = File.OpenRead(readback))
            await f.ReadExactlyAsync(back, ct);
        File.Delete(readback);
        if (!back.AsSpan().SequenceEqual(pattern))
            Throw.Internal("quickstart.readback", $"the data read back from {c.NbdUri(1)} differs from what was written");
        c.Note($"nbdcopy pattern.bin {c.NbdUri(1)}: {PatternBytes >> 20} MiB written, read back byte-exact");
        c.Note("first block: " + Encoding.ASCII.GetString(pattern, 0, pattern.AsSpan().IndexOf((byte)'\n')));
    }

    private static async Task InquiryAsync(QuickstartContext c, CancellationToken ct)
    {
        string? nbdinfo = ExternalTool.Find("nbdinfo");
        if (nbdinfo is null)
        {
            c.Skip("nbdinfo is not installed (Debian package libnbd-bin)");
            return;
        }
        string output = await ExternalTool.RunCheckedAsync(nbdinfo, [c.NbdUri(1)], TimeSpan.FromSeconds(20), ct);
        // nbdinfo indents with tabs, which a panel cannot measure.
        c.Show(new Panel(new Text(output.TrimEnd().Replace("\t", "    "))).Header($"nbdinfo {c.NbdUri(1)}"));
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("description:", StringComparison.Ordinal));
        string? description = line?["description:".Length..].Trim().Trim('"');
        if (InquiryDescription.TryParse(description, out var inquiry) && inquiry!.DeviceId == c.DeviceId)
            c.Note($"LUN 1 is device {inquiry.DeviceId}, volume {inquiry.Volume}");
        else
            Throw.Remote("quickstart.inquiry", $"nbdinfo did not show the array's device ID {c.DeviceId} in the export description");
    }

    private static async Task VolumeInfoAsync(QuickstartContext c, CancellationToken ct)
    {
        uint volume = c.Volumes[1];
        var record = new VolumeInfoRecord
        {
            Label = "quickstart-copy",
            Host = Dns.GetHostName() is { Length: <= VolumeInfoRecord.HostMax } h ? h : "localhost",
            MountPoint = "/srv/data",
            Timestamp = VolumeInfoRecord.TruncateToMicros(DateTimeOffset.UtcNow),
            Kind = BackupKind.Copy,
            SourceDeviceId = c.DeviceId,
            SourceVolume = c.Volumes[0],
            BackupId = Guid.NewGuid(),
        };
        await c.RequireClient().PutVolumeInfoAsync(volume, record.Encode(), ct);
        byte[]? back = await c.RequireClient().GetVolumeInfoAsync(volume, ct);
        if (back is null)
            Throw.Internal("quickstart.volume_info", $"volume {volume} has no volume information right after it was written");
        var decoded = VolumeInfoRecord.Decode(back);
        if (decoded != record)
            Throw.Internal("quickstart.volume_info", $"the volume information read back from volume {volume} differs from what was written");
        c.Note($"snapcat array info put {volume} --file record.bin; snapcat array info get {volume}:");
        c.Show(Tables.Info(volume, VolumeInfoView.FromBytes(back)));
    }

    private static async Task ListAsync(QuickstartContext c, CancellationToken ct)
    {
        var volumes = await c.RequireClient().ListVolumesAsync(includeInfo: true, ct);
        c.Show(Tables.Volumes(volumes));
        c.Note(c.Keep
            ? $"the array stops now; to explore: ./snapcat array serve --config {c.ConfigPath} & ./snapcat array volume list --config {c.ConfigPath}"
            : "run ./snapcat quickstart --keep to keep the configuration and volumes and explore them with ./snapcat array … --config");
    }

    /// <summary>Recognisable data: each 4 KiB block starts with its own number in text, then a counter.</summary>
    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int block = 0; block < length / 4096; block++)
        {
            var span = bytes.AsSpan(block * 4096, 4096);
            for (int i = 0; i < span.Length; i++) span[i] = (byte)(block + i);
            Encoding.ASCII.GetBytes($"snapcat quickstart block {block:D6}\n", span);
        }
        return bytes;
    }

    private static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
