using System.Text.Json.Nodes;
using Snapcat.TestKit;
using Snapcat.Server.Tests.Fixtures;

namespace Snapcat.Server.Tests.Recovery;

/// <summary>
/// Issue 9.5 on real processes: the server is killed (SIGKILL) while the agent's preprocess of a mirror
/// backup is still running. After a restart the job is in the history as interrupted, and once the agent
/// finished, the backup it made is in the catalog without a manual rebuild — exactly once, also after
/// another restart.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ServerCrashTests
{
    [Theory]
    [MemberData(nameof(PostgresCollection.Backends), MemberType = typeof(PostgresCollection))]
    public async Task A_server_killed_during_the_preprocess_shows_the_job_interrupted_and_records_the_finished_backup(string backend)
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-CRASH", PostgresCollection.For(backend)));
        string jobId = await StartGatedMirrorAsync(rig, "crash-mirror", "crash");

        rig.KillServer();
        await rig.StartServerAsync();

        // Interrupted at once, while the agent still holds its preprocess.
        var job = JsonNode.Parse(await rig.CliOkAsync("job", "show", jobId, "-o", "json"))!;
        Assert.Equal("interrupted", job["state"]!.GetValue<string>(), ignoreCase: true);
        Assert.Equal("job.interrupted", job["errorCode"]!.GetValue<string>());
        Assert.Contains("interrupted", await rig.CliOkAsync("job", "list"));
        Assert.Empty(await BackupsAsync(rig));

        // The agent finishes (preprocess, copy, postprocess, volume information): the server records it.
        File.WriteAllText(rig.GateRelease, "");
        await Poll.UntilAsync(async () => (await BackupsAsync(rig)).Count == 1, TimeSpan.FromSeconds(120), "the reconciled backup in the catalog");
        var backup = Assert.Single(await BackupsAsync(rig));
        Assert.Equal("crash", backup["label"]!.GetValue<string>());
        Assert.Equal(rig.Secondary.ToString(), backup["mediaId"]!.GetValue<string>());
        Assert.Contains("thaw post crash", File.ReadAllText(rig.HookLog));
        await Poll.UntilAsync(async () => (await rig.CliOkAsync("job", "show", jobId)).Contains("reconciled"), TimeSpan.FromSeconds(30), "the reconcile note in the job log");
        string shown = await rig.CliOkAsync("job", "show", jobId);
        Assert.Contains($"recorded backup {backup["id"]}", shown);

        // Idempotent: another crash and restart adds nothing.
        rig.KillServer();
        await rig.StartServerAsync();
        var again = Assert.Single(await BackupsAsync(rig));
        Assert.Equal(backup["id"]!.GetValue<long>(), again["id"]!.GetValue<long>());
        Assert.Equal("interrupted", JsonNode.Parse(await rig.CliOkAsync("job", "show", jobId, "-o", "json"))!["state"]!.GetValue<string>(), ignoreCase: true);
    }

    /// <summary>A mirror definition whose preprocess is the gate hook, run; returns the server's job once the agent holds the preprocess.</summary>
    private static async Task<string> StartGatedMirrorAsync(ServerRig rig, string name, string label)
    {
        await rig.CliOkAsync(rig.MirrorArgs(name, label, "--pre", "gate", "--post", "thaw"));
        string jobId = JsonNode.Parse(await rig.CliOkAsync("backup", "run", name, "-o", "json"))!["id"]!.GetValue<string>();
        await Poll.UntilAsync(() => rig.HookLines().Contains($"gate pre {label}"), TimeSpan.FromSeconds(60), "the agent's preprocess to start");
        return jobId;
    }

    private static async Task<IReadOnlyList<JsonNode>> BackupsAsync(ServerRig rig) =>
        JsonNode.Parse(await rig.CliOkAsync("backup", "list", "-o", "json"))!.AsArray().Select(n => n!).ToList();

    [Fact]
    public async Task When_the_agent_forgot_the_job_the_backup_is_found_in_the_arrays_volume_information()
    {
        await using var rig = await ServerRig.StartAsync(ServerRigOptions.System("ARRAY-CRASH2"));
        string jobId = await StartGatedMirrorAsync(rig, "forgot", "forgot");
        rig.KillServer();

        // The agent finishes while the server is down (its volume information is on the secondary), then restarts.
        File.WriteAllText(rig.GateRelease, "");
        await Poll.UntilAsync(async () => File.ReadAllText(rig.HookLog).Contains("thaw post forgot") && await rig.Array.GetVolumeInfoAsync(rig.Secondary) is not null,
            TimeSpan.FromSeconds(120), "the agent to finish the backup");
        await rig.RestartAgentAsync();

        await rig.StartServerAsync();
        await Poll.UntilAsync(async () => (await BackupsAsync(rig)).Count == 1, TimeSpan.FromSeconds(120), "the backup found on the array");
        var backup = Assert.Single(await BackupsAsync(rig));
        Assert.Equal("forgot", backup["label"]!.GetValue<string>());
        await Poll.UntilAsync(async () => (await rig.CliOkAsync("job", "show", jobId)).Contains($"recorded backup {backup["id"]}"),
            TimeSpan.FromSeconds(30), "the reconcile note in the job log");
        Assert.Contains("no longer knows", await rig.CliOkAsync("job", "show", jobId));
    }
}
