using System.Diagnostics;
using System.Text.Json;
using Snapcat.Contracts.Server;
using Snapcat.Core.Jobs;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.DayTwo;

/// <summary>
/// <c>snapcat status</c> and <c>snapcat job log</c> on a real array, agent and server; <c>job log --follow</c> as the real
/// <c>snapcat</c> executable, on a backup held in its preprocess (the rig's "gate" hook waits for a file the test creates).
/// </summary>
public sealed class StatusAndJobLogTests
{
    [Fact]
    public async Task Status_shows_each_definitions_last_result_the_failure_since_and_the_array()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("good", label: "good") with { Schedule = "0 2 * * *" });
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("bad", label: "bad"));
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("never", label: "never") with { Schedule = "0 3 * * *", Enabled = false });
        var ok = await f.RunAsync("good");
        await f.AgentNode.StopAsync();   // the agent is down: the next backup fails
        var failed = await f.WaitAsync(await f.Client.RunDefinitionAsync("bad"));
        Assert.Equal(JobState.Failed, failed.State);
        await Poll.UntilAsync(() => f.Server!.Runtime.Jobs.PendingSaves == 0, TimeSpan.FromSeconds(10), "the job history to be saved");

        string screen = await f.CliOkAsync("status");
        string Row(string name) => screen.Split('\n').First(l => l.Contains($" {name} "));
        Assert.Contains("succeeded", Row("good"));
        Assert.Contains("02:00:00Z", Row("good"));
        Assert.Contains("failed", Row("bad"));
        Assert.Contains("by hand", Row("bad"));
        Assert.Contains("disabled", Row("never"));
        Assert.Contains("never run", Row("never"));
        Assert.Contains("Failures since", screen);
        Assert.Contains(failed.Id, screen);
        Assert.Contains("Running jobs: none", screen);
        Assert.Contains(f.DeviceId, screen);
        Assert.DoesNotContain("unknown (the array could not read it)", screen);   // the array reports its data file system's free space
        Assert.Contains("Tape library: none configured", screen);

        var s = JsonSerializer.Deserialize<ServerStatusDto>(await f.CliOkAsync("status", "--since", "1h", "-o", "json"), ServerClient.Json)!;
        var defs = s.Definitions.ToDictionary(d => d.Name);
        Assert.Equal((JobState.Succeeded, ok.Id), (defs["good"].LastResult!.State, defs["good"].LastResult!.JobId));
        Assert.Equal((JobState.Failed, failed.Id), (defs["bad"].LastResult!.State, defs["bad"].LastResult!.JobId));
        Assert.Null(defs["never"].LastResult);
        Assert.False(defs["never"].Enabled);
        var failure = Assert.Single(s.Failures);
        Assert.Equal((failed.Id, "bad", failed.ErrorCode), (failure.JobId, failure.Definition, failure.ErrorCode));
        var array = Assert.Single(s.Arrays);
        Assert.True(array.Reachable);
        Assert.Equal(4, array.Volumes);          // primary, two mirrors, a spare
        Assert.Equal(1, array.Snapshots);        // good's backup
        Assert.Equal(5 * f.VolumeBytes, array.ProvisionedBytes);
        Assert.True(array.FreeBytes > 0, "the array's data file system free space is missing from the status");
        Assert.Null(s.Tape);
        Assert.InRange(s.Time - s.Since, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));

        // Failures since a time after the failure: none.
        var later = JsonSerializer.Deserialize<ServerStatusDto>(
            await f.CliOkAsync("status", "--since", failed.Finished!.Value.AddSeconds(1).ToString("O"), "-o", "json"), ServerClient.Json)!;
        Assert.Empty(later.Failures);
        Assert.Contains("status.bad_since", await f.CliRefusedAsync("status", "--since", "yesterday"));

        // The failed job's log, and following a job that has ended: its exit code is the job's.
        string log = await f.CliOkAsync("job", "log", failed.Id);
        Assert.Contains(failed.ErrorMessage!, log);
        var follow = await SnapcatBinary.RunAsync(["job", "log", failed.Id, "--follow", .. f.ServerArgs], TimeSpan.FromSeconds(60));
        Assert.Equal(1, follow.ExitCode);
        Assert.Contains($"job {failed.Id} failed", follow.Stdout);
        var followOk = await SnapcatBinary.RunAsync(["job", "log", ok.Id, "--follow", .. f.ServerArgs], TimeSpan.FromSeconds(60));
        Assert.Equal(0, followOk.ExitCode);
        Assert.Contains($"job {ok.Id} succeeded", followOk.Stdout);
    }

    [Fact]
    public async Task Job_log_follow_prints_lines_as_they_come_ctrl_c_leaves_the_job_running_and_the_exit_code_is_the_jobs()
    {
        await using var f = await ServerRig.StartAsync();
        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("gated", label: "gated") with { PreHook = "gate", PostHook = "thaw" });
        var job = await f.Client.RunDefinitionAsync("gated");
        await Poll.UntilAsync(() => f.HookLines().Contains("gate pre gated"), TimeSpan.FromSeconds(60), "the gate preprocess to start");

        // Ctrl-C: the follower stops (130), the job goes on.
        await using (var first = SnapcatBinary.Start(["job", "log", job.Id, "--follow", .. f.ServerArgs]))
        {
            await Poll.UntilAsync(() => first.Output.Contains($"job {job.Id} running"), TimeSpan.FromSeconds(60), "the first follower to print the job");
            using (var kill = Process.Start("kill", ["-INT", first.Pid.ToString()])) await kill.WaitForExitAsync();
            Assert.Equal(130, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("goes on running", first.Output);
        }
        Assert.Equal(JobState.Running, (await f.Client.GetJobAsync(job.Id)).State);

        await using var follower = SnapcatBinary.Start(["job", "log", job.Id, "--follow", .. f.ServerArgs]);
        var held = await f.Client.GetJobAsync(job.Id);
        Assert.NotEmpty(held.Log);
        await Poll.UntilAsync(() => follower.Output.Contains(held.Log[^1].Message), TimeSpan.FromSeconds(60), "the follower to print the lines so far");
        Assert.False(follower.HasExited);
        Assert.Equal(JobState.Running, (await f.Client.GetJobAsync(job.Id)).State);   // provably still held by the gate
        string before = follower.Output;
        // Meanwhile the status shows it running.
        var status = await f.Client.GetStatusAsync();
        Assert.Equal(job.Id, Assert.Single(status.Running).JobId);
        Assert.True(Assert.Single(status.Definitions).Running);
        string screen = await f.CliOkAsync("status");
        Assert.Contains("Running jobs", screen);
        Assert.Contains(job.Id, screen);

        await File.WriteAllTextAsync(f.GateRelease, "");
        Assert.Equal(0, await follower.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        var final = await f.Client.GetJobAsync(job.Id);
        Assert.Equal(JobState.Succeeded, final.State);
        // Lines the job logged after the gate opened reached the follower while it followed.
        var newLines = final.Log.Skip(held.Log.Count).ToList();
        Assert.NotEmpty(newLines);
        Assert.All(newLines, l => Assert.Contains(l.Message, follower.Output));
        Assert.DoesNotContain(newLines[^1].Message, before);
        Assert.EndsWith($"job {job.Id} succeeded", follower.Output.TrimEnd());
    }

    [Fact]
    public async Task Status_shows_the_tape_librarys_cartridges_and_free_space()
    {
        await using var f = await ServerRig.StartAsync(ServerRigOptions.Tape(capacity: "64M"));
        await f.Library.LabelAsync(2);
        var tape = (await f.Client.GetStatusAsync()).Tape!;
        Assert.Equal((ServerRig.TapeLibraryId, 2, 2, 0, 0), (tape.LibraryId, tape.Cartridges, tape.Empty, tape.Appendable, tape.Damaged));
        var carts = await f.Client.ListCartridgesAsync();
        Assert.Equal((carts.Sum(c => c.CapacityBytes), carts.Sum(c => c.FreeBytes)), (tape.CapacityBytes, tape.FreeBytes));
        Assert.Equal(2L * (64 << 20), tape.CapacityBytes);
        string screen = await f.CliOkAsync("status");
        Assert.Contains($"Tape library {ServerRig.TapeLibraryId}", screen);
        Assert.Contains("128 MiB", screen);
    }
}
