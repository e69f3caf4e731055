using System.Security.Cryptography;
using Snapcat.Array.Tests.Cli;
using Snapcat.Array.Tests.Daemon;
using Snapcat.Contracts.Array;
using Snapcat.Core.VolumeInformation;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.VolumeCopy;

/// <summary>FIG. 19 through two real array processes and the CLI: data over NBD, then the volume information.</summary>
public sealed class VolumeCopyEndToEndTests
{
    [Fact]
    public async Task Cli_copies_a_volume_and_its_information_to_another_array()
    {
        await using var system = new SnapcatSystem("vcopy");
        var b = system.AddArray("ARRAY-DST", n => n.DataPortCount = 1);
        var a = system.AddArray("ARRAY-SRC", n => { n.DataPortCount = 1; n.Peers.Add(b); });
        await system.StartAsync();  // the destination first: the source's file names its real URL
        using var work = new TempDir("vcopy");

        // Source: 16 MiB with data in the first 6 MiB, a volume information record, LUN 1 on A.
        var src = await a.Client.CreateVolumeAsync("16M");
        Assert.True((await a.AssignAsync(src.Number, a.DataPorts[0], 1)).IsSuccessStatusCode);
        string image = work.Combine("src.img");
        await File.WriteAllBytesAsync(image, RandomNumberGenerator.GetBytes(6 << 20));
        (await Tool.RunAsync("nbdcopy", [image, $"nbd://{a.DataPorts[0]}/1"])).EnsureSuccess("nbdcopy in");
        var info = new VolumeInfoRecord
        {
            Label = "weekly", Host = "db01", MountPoint = "/data", Timestamp = VolumeInfoRecord.TruncateToMicros(DateTimeOffset.UtcNow),
            Kind = BackupKind.Mirror, SourceDeviceId = "ARRAY-SRC", SourceVolume = src.Number, BackupId = Guid.NewGuid(),
        }.Encode();
        Assert.True((await a.PutInfoAsync(src.Number, info)).IsSuccessStatusCode);
        // The CLI's copy reads through the array, not through LUN 1: release it so no writer is connected.
        Assert.True((await a.Http.DeleteAsync($"/v1/ports/{Uri.EscapeDataString(a.DataPorts[0])}/luns/1")).IsSuccessStatusCode);

        // Destination: same size on B, LUN 3.
        var dst = await b.Client.CreateVolumeAsync("16M");
        Assert.True((await b.AssignAsync(dst.Number, b.DataPorts[0], 3)).IsSuccessStatusCode);

        var run = await CliRun.RunAsync("array", "volume-copy", "--from", src.Number.ToString(), "--device", "ARRAY-DST",
            "--port", b.DataPorts[0], "--lun", "3", "--wait", "--timeout", "120", "--output", "json",
            "--url", a.ControlUrl.ToString(), "--token", ArrayNode.DefaultToken, "--fingerprint", a.Fingerprint!);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");

        // The destination holds the data (read over NBD) and the same 512 bytes of volume information.
        string back = work.Combine("dst.img");
        (await Tool.RunAsync("nbdcopy", [$"nbd://{b.DataPorts[0]}/3", back])).EnsureSuccess("nbdcopy out");
        var expected = new byte[16 << 20];
        (await File.ReadAllBytesAsync(image)).CopyTo(expected, 0);
        Assert.Equal(SHA256.HashData(expected), SHA256.HashData(await File.ReadAllBytesAsync(back)));
        var got = await b.Http.GetByteArrayAsync($"/v1/volumes/{dst.Number}/info");
        Assert.Equal(info, got);

        // A copy into a LUN that does not exist fails and writes no volume information anywhere.
        var missing = await CliRun.RunAsync("array", "volume-copy", "--from", src.Number.ToString(), "--device", "ARRAY-DST",
            "--port", b.DataPorts[0], "--lun", "9", "--wait", "--timeout", "60",
            "--url", a.ControlUrl.ToString(), "--token", ArrayNode.DefaultToken, "--fingerprint", a.Fingerprint!);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("9", missing.Stderr);
        var infos = await b.GetAsync<VolumeInfoListing>("/v1/volume-infos");
        Assert.Single(infos.Volumes, v => v.VolumeInfo is not null);
    }
}
