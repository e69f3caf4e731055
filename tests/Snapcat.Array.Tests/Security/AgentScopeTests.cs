using System.Net;
using System.Net.Http.Headers;
using Snapcat.Contracts.Array;
using Snapcat.Core.Errors;
using Snapcat.Core.Security;

namespace Snapcat.Array.Tests.Security;

/// <summary>
/// An array's agent credential against a real array process: two hosts' volumes (host 1: volume 1 at port A LUN 0
/// with its mirror 2; host 2: volume 3 at port A LUN 1 with its mirror 4), and the credential of host 1, limited to
/// the volume at its LUN (so 1, with 2 and 1's snapshots) and its restore port B LUN 0.
/// </summary>
public sealed class AgentScopeTests
{
    private const string Agent1 = "agent-host1";

    private static async Task<(SnapcatSystem System, ArrayNode Array)> StartAsync()
    {
        var system = new SnapcatSystem("scope");
        try
        {
            var array = system.AddArray("ARRAY-SC");
            var v1 = array.AddVolume("1M", port: 0, lun: 0);
            array.AddVolume("1M", mirrorOf: v1);
            var v3 = array.AddVolume("1M", port: 0, lun: 1);
            array.AddVolume("1M", mirrorOf: v3);
            array.WithAgentCredential(Agent1, () => [], luns: () => [$"{array.DataPorts[0]}/0"], restorePorts: () => [$"{array.DataPorts[1]}/0"]);
            await array.StartAsync();
            await array.RestartAsync();  // the credential names data ports, known since the first start
            return (system, array);
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task An_agent_credential_reading_or_copying_a_foreign_volume_is_refused_and_nothing_changes()
    {
        var (system, array) = await StartAsync();
        await using var _ = system;
        using var agent = array.ClientAs(Agent1);

        var read = await Assert.ThrowsAsync<SnapcatException>(() => agent.GetVolumeAsync(3));
        Assert.Equal((ErrorKind.Forbidden, "scope.volume"), (read.Kind, read.Code));
        Assert.Contains($"the credential '{Agent1}' is limited to volumes 1, 2", read.Message);
        Assert.Contains("volume 3 is not one of them", read.Message);
        var info = await Assert.ThrowsAsync<SnapcatException>(() => agent.GetVolumeInfoAsync(3));
        Assert.Equal(ErrorKind.Forbidden, info.Kind);

        // A mirror copy onto the foreign host's copy destination, by number or by its port/LUN: refused, no job.
        var byNumber = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartCopyAsync(new CopyOrder(3, null, null, 4)));
        Assert.Equal("scope.volume", byNumber.Code);
        var byLun = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartCopyAsync(new CopyOrder(null, array.DataPorts[0], 1, 4)));
        Assert.Equal("scope.volume", byLun.Code);
        // Its own primary onto the other host's secondary: the secondary is foreign.
        var ontoForeign = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartCopyAsync(new CopyOrder(1, null, null, 4)));
        Assert.Contains("volume 4 is not one of them", ontoForeign.Message);
        var restore = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartRestoreAsync(new RestoreOrder(4, Force: true)));
        Assert.Equal("scope.volume", restore.Code);
        var snapshot = await Assert.ThrowsAsync<SnapcatException>(() => agent.CreateSnapshotAsync(array.DataPorts[0], 1));
        Assert.Equal("scope.volume", snapshot.Code);
        var delete = await Assert.ThrowsAsync<SnapcatException>(() => agent.DeleteVolumeAsync(3));
        Assert.Equal("scope.volume", delete.Code);
        Assert.Empty(await array.Client.ListJobsAsync());
        Assert.Empty(await array.Client.ListSnapshotsAsync(3));
        Assert.Equal([1u, 2u, 3u, 4u], (await array.Client.ListVolumesAsync()).Select(v => v.Number).Order());

        // Admin-only routes: 403 naming both roles, nothing created.
        var create = await Assert.ThrowsAsync<SnapcatException>(() => agent.CreateVolumeAsync("1M"));
        Assert.Equal((ErrorKind.Forbidden, "auth.role"), (create.Kind, create.Code));
        Assert.Contains("needs the admin role", create.Message);
        Assert.Contains($"the credential '{Agent1}' has the agent role", create.Message);
        var mirror = await Assert.ThrowsAsync<SnapcatException>(() => agent.AddMirrorAsync(1, 3));
        Assert.Equal("auth.role", mirror.Code);
        var volumeCopy = await Assert.ThrowsAsync<SnapcatException>(() => agent.StartVolumeCopyAsync(new VolumeCopyOrder(1, 2, null, null, null)));
        Assert.Equal("auth.role", volumeCopy.Code);
        Assert.Equal(4, (await array.Client.ListVolumesAsync()).Count);
        Assert.Equal([2u], (await array.Client.ListMirrorsAsync(1)).Select(m => m.Secondary));
    }

    [Fact]
    public async Task A_scoped_credential_lists_only_its_own_volumes_and_does_what_its_agent_needs_on_them()
    {
        var (system, array) = await StartAsync();
        await using var _ = system;
        using var agent = array.ClientAs(Agent1);

        Assert.Equal([1u, 2u], (await agent.ListVolumesAsync()).Select(v => v.Number).Order());
        Assert.Equal(4, (await array.Client.ListVolumesAsync()).Count);
        Assert.All((await agent.ListVolumeInfosAsync()).Volumes, v => Assert.Contains(v.Number, new uint[] { 1, 2 }));

        // The calls of a mirror backup, a snapshot backup and a file restore, on its own volumes.
        var destinations = await agent.GetCopyDestinationsAsync(array.DataPorts[0], 0);
        Assert.Equal([2u], destinations.CopyTo);
        var copy = await agent.StartCopyAsync(new CopyOrder(null, array.DataPorts[0], 0, 2));
        ServerOk(await agent.WaitForJobAsync(copy.Id, timeout: TimeSpan.FromSeconds(30)));
        var s = await agent.CreateSnapshotAsync(array.DataPorts[0], 0);
        Assert.Contains(s.Number, (await agent.ListVolumesAsync()).Select(v => v.Number));
        await agent.AssignAsync(2, array.DataPorts[1], 0, readOnly: true);
        await agent.ReleaseAsync(array.DataPorts[1], 0);
        await agent.DeleteVolumeAsync(s.Number);

        // Not at a LUN other than its restore ports, and no deleting a volume that is not a snapshot.
        var assign = await Assert.ThrowsAsync<SnapcatException>(() => agent.AssignAsync(2, array.DataPorts[1], 5, readOnly: true));
        Assert.Equal("scope.port", assign.Code);
        var deleteMirror = await Assert.ThrowsAsync<SnapcatException>(() => agent.DeleteVolumeAsync(2));
        Assert.Equal("scope.delete", deleteMirror.Code);
        Assert.Equal([1u, 2u, 3u, 4u], (await array.Client.ListVolumesAsync()).Select(v => v.Number).Order());
        Assert.Empty((await array.Client.GetVolumeAsync(2)).Assignments);

        // Its own jobs only: the admin's job is not in its list.
        var adminCopy = await array.Client.StartCopyAsync(new CopyOrder(3, null, null, 4));
        await array.Client.WaitForJobAsync(adminCopy.Id, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal([copy.Id], (await agent.ListJobsAsync()).Select(j => j.Id));
        var foreignJob = await Assert.ThrowsAsync<SnapcatException>(() => agent.GetJobAsync(adminCopy.Id));
        Assert.Equal("scope.job", foreignJob.Code);
    }

    [Fact]
    public async Task Every_mutating_call_writes_one_audit_line_refusals_included_and_the_lines_survive_a_kill_9()
    {
        var (system, array) = await StartAsync();
        await using var _ = system;
        string audit = array.AuditFilePath;
        int before = AuditLogFile.Read(audit).Count;  // the test kit's own calls at the first start (volumes, mirrors)
        using var agent = array.ClientAs(Agent1);
        using var stranger = new HttpClient(array.CreateHttpHandler()) { BaseAddress = array.ControlUrl };
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");

        var created = await array.Client.CreateVolumeAsync("1M");                                       // ok
        await Assert.ThrowsAsync<SnapcatException>(() => agent.DeleteVolumeAsync(3));                    // refused (scope)
        await Assert.ThrowsAsync<SnapcatException>(() => agent.CreateVolumeAsync("1M"));                 // refused (role)
        var r = await stranger.DeleteAsync($"/v1/volumes/{created.Number}");                             // refused (token)
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        await Assert.ThrowsAsync<SnapcatException>(() => array.Client.DeleteVolumeAsync(99));            // failed (404)
        await agent.ListVolumesAsync();                                                                  // a GET: no line
        await array.Client.DeleteVolumeAsync(created.Number);                                           // ok, the last answer
        array.KillHard();

        var lines = AuditLogFile.Read(audit).Skip(before).ToList();
        Assert.Equal(6, lines.Count);
        Assert.Equal(
            [
                ("control", "admin", "POST", "/v1/volumes", null, 201, "ok"),
                (Agent1, "agent", "DELETE", "/v1/volumes/{number}", "3", 403, "refused"),
                (Agent1, "agent", "POST", "/v1/volumes", null, 403, "refused"),
                ("-", "-", "DELETE", $"/v1/volumes/{{number}}", created.Number.ToString(), 401, "refused"),
                ("control", "admin", "DELETE", "/v1/volumes/{number}", "99", 404, "failed"),
                ("control", "admin", "DELETE", "/v1/volumes/{number}", created.Number.ToString(), 204, "ok"),
            ],
            lines.Select(l => (l.Principal, l.Role, l.Method, l.Route, l.Target, l.Status, l.Outcome)));
        Assert.All(lines, l => Assert.StartsWith("127.0.0.1:", l.RemoteAddress));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(audit));
        // Nothing was deleted by the refusals.
        await array.StartAsync();
        Assert.Equal([1u, 2u, 3u, 4u], (await array.Client.ListVolumesAsync()).Select(v => v.Number).Order());
    }

    private static void ServerOk(Snapcat.Core.Jobs.JobSnapshot job) =>
        Assert.True(job.State == Snapcat.Core.Jobs.JobState.Succeeded, $"{job.Id} ended {job.State}: {job.ErrorMessage}");
}
