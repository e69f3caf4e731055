using System.Text.Json;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.TapeFlows;

/// <summary>
/// Issue 9.4: <c>kill -9</c> of a real <c>snapcat server serve</c> process in the middle of a copy to tape, then a
/// restart. The torn cartridge is cut back to its last complete file, the earlier backup stays complete, the cut is
/// reported, and the next copy to tape succeeds.
/// </summary>
[Collection("tape-flows")]
public sealed class TapeCrashTests
{
    [Fact]
    public async Task A_server_killed_mid_copy_to_tape_cuts_the_torn_tail_on_restart_and_the_next_copy_succeeds()
    {
        // 96 MiB volumes: the copy runs long enough (hundreds of 60 KiB blocks after the first MiB) to be killed in it.
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.Tape(capacity: "512M", volumeSize: "96M", serverProcess: true));
        var (_, disk) = await rig.MirrorBackupAsync(seed: 41);
        var first = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        Assert.Equal("SC0001/0001", first.Result!["mediaId"]!.GetValue<string>());
        string cartridge = Path.Combine(rig.LibraryDirectory, "SC0001.aws");
        long afterFirst = new FileInfo(cartridge).Length;

        // Second copy: kill -9 once more than the 1 MiB write-behind reached the cartridge, before the data ends.
        var job = await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest());
        await Poll.UntilAsync(async () =>
        {
            var j = await rig.Client.GetJobAsync(job.Id);
            return j.State != JobState.Running && j.State != JobState.Queued || new FileInfo(cartridge).Length > afterFirst + (4 << 20);
        }, TimeSpan.FromSeconds(120), "the second copy writing to SC0001");
        rig.KillServer();
        long torn = new FileInfo(cartridge).Length;
        Assert.True(torn < afterFirst + rig.VolumeBytes, $"the copy finished before the kill ({torn} bytes); nothing to test");

        // The defect as an administrator saw it: the cartridge does not scan (tape.truncated / tape.unterminated).
        string[] offline = ["tape", "list", "--library", rig.LibraryDirectory, "--capacity", rig.Options.TapeLibrary!.Capacity, "--output", "json"];
        var before = await SnapcatBinary.RunAsync(offline);
        Assert.True(before.ExitCode == 0, before.Stdout + before.Stderr);
        Assert.Contains("\"damaged\"", before.Stdout);

        // Restart: the start-up cut is logged, durable, and listed with the cartridge.
        await rig.StartServerAsync();
        await Poll.UntilAsync(() => rig.ServerNode.Output.Contains("cut "), TimeSpan.FromSeconds(30), "the tail cut log line");
        Assert.Contains("cartridge SC0001", rig.ServerNode.Output);
        Assert.Equal(afterFirst, new FileInfo(cartridge).Length);
        var c = Assert.Single(await rig.Client.ListCartridgesAsync());
        Assert.Equal(("SC0001", "appendable", (string?)null), (c.VolumeSerial, c.State, c.Error));
        var backup = Assert.Single(c.Backups);
        Assert.Equal(("SC0001/0001", (string?)null), (backup.MediaId, backup.Problem));
        var cut = Assert.Single(c.TailCuts!);
        Assert.Equal((3, torn, afterFirst), (cut.KeptFiles, cut.BytesBefore, cut.BytesAfter));
        Assert.Contains("torn tail", cut.Reason);
        Assert.Contains(cut.Removed, r => r.EndsWith(".MGMT (1 blocks)", StringComparison.Ordinal));

        // The earlier backup verifies; a new copy to tape appends right after it.
        var tapeRow = Assert.Single(await rig.Client.SearchBackupsAsync(new Snapcat.Contracts.Server.BackupDataFilter { DeviceId = ServerRig.TapeLibraryId }));
        ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.VerifyBackupAsync(tapeRow.Id)));
        var next = ServerClient.EnsureSucceeded(await rig.WaitAsync(await rig.Client.CopyToTapeAsync(disk.Id, new TapeCopyRequest())));
        Assert.Equal("SC0001/0004", next.Result!["mediaId"]!.GetValue<string>());
        Assert.All(Assert.Single(await rig.Client.ListCartridgesAsync()).Backups, b => Assert.Null(b.Problem));

        // The hercules tools read the repaired cartridge (on a copy: hetmap opens it read-write).
        if (!Tool.Exists("hetmap") || !Tool.Exists("tapemap")) Assert.Fail("hetmap/tapemap (package hercules) are required");
        string copy = rig.Dir.Combine("copy.aws");
        File.Copy(cartridge, copy);
        var d = await Tool.RunAsync("hetmap", ["-d", copy]);
        Assert.Equal(0, d.ExitCode);
        Assert.DoesNotContain("het_read() returned", d.Stdout + d.Stderr);
        Assert.Contains("vol=SC0001", d.Stdout);
        var map = await Tool.RunAsync("tapemap", [copy]);
        Assert.Equal(0, map.ExitCode);
        Assert.Contains("End of tape.", map.Stdout);

        var listed = await SnapcatBinary.RunAsync(["tape", "list", .. rig.ServerArgs, "--output", "json"]);
        Assert.True(listed.ExitCode == 0, listed.Stdout + listed.Stderr);
        Assert.Contains("torn tail", JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("cartridges")[0].GetProperty("tailCuts")[0].GetProperty("reason").GetString());
    }
}
