using System.Globalization;
using Snapcat.Contracts.Server;
using Snapcat.Core.Jobs;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>Backup definitions of the rig's mount point and runs of them through the server's API.</summary>
public sealed partial class ServerRig
{
    public static DefinitionDto Mirror(string name, uint volume = 2, string label = "nightly", string deviceId = "ARRAY-S1") => new()
    {
        Name = name, Host = Host, MountPoint = MountPoint, Kind = "mirror", DeviceId = deviceId, DestinationVolume = volume, Label = label,
    };

    public static DefinitionDto Snapshot(string name, int keep = 2, string label = "hourly", string deviceId = "ARRAY-S1") => new()
    {
        Name = name, Host = Host, MountPoint = MountPoint, Kind = "snapshot", DeviceId = deviceId, KeepGenerations = keep, Label = label,
    };

    /// <summary>The CLI arguments of <c>definition create</c> for a mirror backup of the rig's primary to its first secondary.</summary>
    public string[] MirrorArgs(string name, string label, params string[] more) =>
        ["definition", "create", name, "--host", Host, "--mount-point", MountPoint, "--kind", "mirror",
         "--device", DeviceId, "--volume", Secondary.ToString(CultureInfo.InvariantCulture), "--label", label, .. more];

    /// <summary>The CLI arguments of <c>definition create</c> for a snapshot backup of the rig's primary.</summary>
    public string[] SnapshotArgs(string name, string label, int keep, params string[] more) =>
        ["definition", "create", name, "--host", Host, "--mount-point", MountPoint, "--kind", "snapshot",
         "--device", DeviceId, "--label", label, "--keep", keep.ToString(CultureInfo.InvariantCulture), .. more];

    /// <summary>Runs a definition through the API and waits until it succeeded.</summary>
    public async Task<JobSnapshot> RunAsync(string definition) =>
        ServerClient.EnsureSucceeded(await WaitAsync(await Client.RunDefinitionAsync(definition)));

    public async Task<JobSnapshot> WaitAsync(JobSnapshot started) =>
        await Client.WaitForJobAsync(started.Id, timeout: TimeSpan.FromSeconds(120));
}
