using System.Net;
using System.Net.Http.Json;
using Snapcat.Core.Jobs;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// Issue 9.10 over the real agent daemon's API: a file-restore order that asks for nothing, escapes
/// the backup, carries NUL bytes or over-long names, targets a directory the host does not allow, or
/// names hooks the host would not run is refused with a 4xx before any job starts — nothing is
/// assigned to the restore port and no hook runs.
/// </summary>
public sealed class FileRestoreOrderTests
{
    [Fact]
    public async Task Bad_file_restore_orders_are_refused_before_anything_is_attached()
    {
        await using var rig = await AgentRig.StartAsync("ARRAY-AGF");
        string allowed = rig.Dir.Combine("restored");
        object Order(object paths, string? destination = null, object? pre = null, object? post = null) => new
        {
            deviceId = rig.DeviceId,
            backupVolume = rig.Secondary,
            paths,
            mountPoint = AgentRig.MountPoint,
            destination = destination ?? allowed,
            preProcess = pre,
            postProcess = post,
        };
        async Task ExpectAsync(object body, int status, string code)
        {
            var r = await rig.Agent.PostAsJsonAsync("/v1/file-restores", body, AgentRig.Json);
            var e = await AgentRig.ExpectErrorAsync(r, status);
            Assert.Equal(code, e.Code);
        }

        await ExpectAsync(Order(System.Array.Empty<string>()), 400, "restore.nothing_requested");
        await ExpectAsync(Order(new[] { "../../etc/shadow" }), 400, "restore.path_escapes");
        await ExpectAsync(Order(new[] { "docs/../../x" }), 400, "restore.path_escapes");
        await ExpectAsync(Order(new[] { "docs/a\u0000b" }), 400, "restore.path_invalid");
        await ExpectAsync(Order(new[] { "docs/" + new string('n', 300) }), 400, "restore.path_too_long");
        await ExpectAsync(Order(new[] { string.Concat(Enumerable.Repeat("d/", 2100)) + "f" }), 400, "restore.path_too_long");
        await ExpectAsync(Order(new[] { "docs" }, destination: "/etc"), 403, "restore.destination_not_allowed");
        await ExpectAsync(Order(new[] { "docs" }, destination: rig.Dir.Combine("..", "..", "etc")), 403, "restore.destination_not_allowed");
        await ExpectAsync(Order(new[] { "docs" }, destination: allowed + "\u0000x"), 400, "restore.path_invalid");
        await ExpectAsync(Order(new[] { "docs" }, pre: new { name = "no-such-hook" }), 403, "hook.not_configured");
        await ExpectAsync(Order(new[] { "docs" }, post: new { rawCommand = "rm -rf /" }), 403, "hook.raw_not_allowed");

        Assert.Empty(await AgentRig.Read<JobSnapshot[]>(await rig.Agent.GetAsync("/v1/jobs")));
        var lun = await rig.Array.GetAsync($"/v1/ports/{Uri.EscapeDataString(rig.PortB)}/luns/7");
        Assert.Equal(HttpStatusCode.NotFound, lun.StatusCode);
        Assert.False(File.Exists(rig.HookLog), "no hook ran");
    }
}
