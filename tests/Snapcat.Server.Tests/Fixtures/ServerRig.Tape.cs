using Snapcat.Contracts.Server;
using Snapcat.Core.Jobs;
using Snapcat.Server.Tape;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>The tape flows' steps on the rig: a mirror backup of seeded data, a tape definition run, the library.</summary>
public sealed partial class ServerRig
{
    /// <summary>Random bytes a mirror backup writes at most; the rest of a larger volume stays zero.</summary>
    private const int RandomBytes = 8 << 20;

    /// <summary>The in-process server's library.</summary>
    public TapeLibrary Library => (Server ?? throw new InvalidOperationException("the tape library is reachable only while the server runs in process")).Runtime.Tapes!;

    public string LibraryDirectory => ServerNode.TapeDirectory ?? throw new InvalidOperationException("this rig has no tape library");

    /// <summary>Fills the primary with seeded random bytes and runs a mirror backup of it through the server; returns the data and the row.</summary>
    public async Task<(byte[] Data, BackupDto Row)> MirrorBackupAsync(int seed, string label = "nightly")
    {
        var data = new byte[VolumeBytes];
        new Random(seed).NextBytes(data.AsSpan(0, (int)Math.Min(VolumeBytes, RandomBytes)));
        await WritePrimaryAsync(data[..(int)Math.Min(VolumeBytes, RandomBytes)]);
        string name = $"db-{seed}";
        await Client.CreateDefinitionAsync(Mirror(name, Secondary, label, DeviceId));
        await RunAsync(name);
        var rows = await Client.SearchBackupsAsync(new BackupDataFilter { DeviceId = DeviceId, Label = label });
        return (data, Assert.Single(rows));
    }

    /// <summary>Creates a tape definition (freeze/thaw hooks) and runs it; returns the finished job.</summary>
    public async Task<JobSnapshot> RunTapeDefinitionAsync(string name, string label)
    {
        await Client.CreateDefinitionAsync(new DefinitionDto
        {
            Name = name, Host = Host, MountPoint = MountPoint, Kind = "tape", DeviceId = TapeLibraryId, Label = label, PreHook = "freeze", PostHook = "thaw",
        });
        return await WaitAsync(await Client.RunDefinitionAsync(name));
    }
}
