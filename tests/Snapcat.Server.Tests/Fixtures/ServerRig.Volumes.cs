using System.Net.Http.Json;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>The rig's volumes over NBD: writing the primary, hashing any volume, an ext4 image to write; the agent's jobs.</summary>
public sealed partial class ServerRig
{
    /// <summary>Writes an image file over the primary (port A LUN 1) with nbdcopy.</summary>
    public async Task WritePrimaryAsync(string image) =>
        (await Tool.RunAsync("nbdcopy", [image, $"nbd://{PortA}/1"])).EnsureSuccess("nbdcopy");

    /// <summary>Writes <paramref name="data"/> from offset 0 over the primary (port A LUN 1) and flushes.</summary>
    public async Task WritePrimaryAsync(byte[] data)
    {
        await using var c = await LunData.ConnectAsync(PortA, 1);
        await c.WriteAsync(0, data);
        await c.FlushAsync();
    }

    public Task<string> HashPrimaryAsync() => LunData.HashLunAsync(PortA, 1);

    /// <summary>SHA-256 of a volume read over NBD: assigned to port A at <paramref name="lun"/> read-only, read, released.</summary>
    public async Task<string> HashVolumeAsync(uint volume, uint lun)
    {
        await Array.AssignAsync(volume, PortA, lun, readOnly: true);
        try
        {
            return await LunData.HashLunAsync(PortA, lun);
        }
        finally
        {
            await Array.ReleaseAsync(PortA, lun);
        }
    }

    /// <summary>A new volume of the rig's size, not assigned anywhere.</summary>
    public async Task<uint> FreshVolumeAsync() => (await Array.CreateVolumeAsync(VolumeSize)).Number;

    /// <summary>The array's volume numbers, snapshots included.</summary>
    public async Task<uint[]> VolumeNumbersAsync() => (await Array.ListVolumesAsync()).Select(v => v.Number).Order().ToArray();

    /// <summary>
    /// An ext4 file system of the rig's volume size made by <c>mke2fs -d</c> from <paramref name="files"/> (relative
    /// path → content) in a folder named <paramref name="name"/>; returns the image file.
    /// </summary>
    public async Task<string> Ext4ImageAsync(string name, IReadOnlyDictionary<string, byte[]> files)
    {
        string content = Dir.Combine(name);
        foreach (var (path, bytes) in files)
        {
            string full = Path.Combine(content, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(full, bytes);
        }
        Directory.CreateDirectory(content);
        string image = Dir.Combine(name + ".img");
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, image, VolumeSize])).EnsureSuccess("mke2fs " + name);
        return image;
    }

    /// <summary>The jobs the real agent ran (its own job list, GET /v1/jobs): the orders the server sent, as the agent took them.</summary>
    public async Task<IReadOnlyList<JobSnapshot>> AgentJobsAsync() =>
        (await AgentNode.Http.GetFromJsonAsync<List<JobSnapshot>>("/v1/jobs", ControlApiClient.Json))!;
}
