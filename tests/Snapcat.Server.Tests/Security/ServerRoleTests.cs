using System.Net;
using System.Net.Http.Headers;
using Snapcat.Contracts.Server;
using Snapcat.Core.Errors;
using Snapcat.Core.Security;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Security;

/// <summary>The server's roles (admin, operator, read-only) on a real array and agent; the audit log of a server process.</summary>
public sealed class ServerRoleTests
{
    private static readonly ServerRigOptions WithRoles = ServerRigOptions.Flows with
    {
        ServerCredentials = new Dictionary<string, string> { ["viewer"] = "read-only", ["ops"] = "operator" },
    };

    [Fact]
    public async Task A_read_only_token_deleting_a_definition_gets_403_naming_the_role_and_nothing_is_deleted()
    {
        await using var f = await ServerRig.StartAsync(WithRoles);
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        using var viewer = f.ClientAs("viewer");

        var ex = await Assert.ThrowsAsync<SnapcatException>(() => viewer.DeleteDefinitionAsync("nightly"));
        Assert.Equal((ErrorKind.Forbidden, "auth.role"), (ex.Kind, ex.Code));
        Assert.Contains("DELETE /v1/definitions/{name} on the backup server needs the admin role", ex.Message);
        Assert.Contains("the credential 'viewer' has the read-only role", ex.Message);
        Assert.Equal("nightly", (await f.Client.GetDefinitionAsync("nightly")).Name);

        // What read-only is for: lists, jobs.
        Assert.Single(await viewer.ListDefinitionsAsync());
        Assert.Empty(await viewer.SearchBackupsAsync(new BackupDataFilter()));
        await viewer.ListJobsAsync();
        var run = await Assert.ThrowsAsync<SnapcatException>(() => viewer.RunDefinitionAsync("nightly"));
        Assert.Contains("needs the operator role", run.Message);
        Assert.Empty(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
    }

    [Fact]
    public async Task An_operator_runs_a_backup_and_restores_but_creating_or_deleting_needs_admin()
    {
        await using var f = await ServerRig.StartAsync(WithRoles);
        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        using var ops = f.ClientAs("ops");

        var job = await ops.RunDefinitionAsync("nightly");
        ServerClient.EnsureSucceeded(await ops.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(60)));
        var row = Assert.Single(await ops.SearchBackupsAsync(new BackupDataFilter()));
        var restore = await ops.RestoreAsync(row.Id, new RestoreRequest(Force: true));
        ServerClient.EnsureSucceeded(await ops.WaitForJobAsync(restore.Id, timeout: TimeSpan.FromSeconds(60)));

        var create = await Assert.ThrowsAsync<SnapcatException>(() => ops.CreateDefinitionAsync(ServerRig.Mirror("weekly", volume: 3)));
        Assert.Equal("auth.role", create.Code);
        Assert.Contains("POST /v1/definitions on the backup server needs the admin role; the credential 'ops' has the operator role", create.Message);
        var delete = await Assert.ThrowsAsync<SnapcatException>(() => ops.DeleteBackupAsync(row.Id));
        Assert.Equal("auth.role", delete.Code);
        Assert.Equal(["nightly"], (await f.Client.ListDefinitionsAsync()).Select(d => d.Name));
        Assert.Single(await f.Client.SearchBackupsAsync(new BackupDataFilter()));
    }

    [Fact]
    public async Task The_server_process_audits_every_mutating_call_and_the_lines_survive_a_kill_9_right_after_the_answer()
    {
        await using var f = await ServerRig.StartAsync(WithRoles with { ServerProcess = true });
        using var viewer = f.ClientAs("viewer");
        using var stranger = new HttpClient(f.ServerNode.CreateHttpHandler()) { BaseAddress = f.ServerNode.ControlUrl };
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");

        await f.Client.CreateDefinitionAsync(ServerRig.Mirror("nightly"));
        await Assert.ThrowsAsync<SnapcatException>(() => viewer.DeleteDefinitionAsync("nightly"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.DeleteAsync("/v1/definitions/nightly")).StatusCode);
        await Assert.ThrowsAsync<SnapcatException>(() => f.Client.DeleteDefinitionAsync("no-such"));
        await viewer.ListDefinitionsAsync();
        await f.Client.DeleteDefinitionAsync("nightly");
        f.KillServer();

        var lines = AuditLogFile.Read(f.ServerNode.AuditFilePath);
        Assert.Equal(
            [
                ("control", "admin", "POST", "/v1/definitions", null, 201, "ok"),
                ("viewer", "read-only", "DELETE", "/v1/definitions/{name}", "nightly", 403, "refused"),
                ("-", "-", "DELETE", "/v1/definitions/{name}", "nightly", 401, "refused"),
                ("control", "admin", "DELETE", "/v1/definitions/{name}", "no-such", 404, "failed"),
                ("control", "admin", "DELETE", "/v1/definitions/{name}", "nightly", 204, "ok"),
            ],
            lines.Select(l => (l.Principal, l.Role, l.Method, l.Route, l.Target, l.Status, l.Outcome)));

        // snapcat audit reads the file: a table for people, the same records as JSON for scripts.
        string table = await f.CliOkAsync("audit", "--file", f.ServerNode.AuditFilePath);
        Assert.Contains("DELETE /v1/definitions/{name}", table);
        Assert.Contains("refused", table);
        string json = await f.CliOkAsync("audit", "--file", f.ServerNode.AuditFilePath, "--output", "json");
        var parsed = System.Text.Json.JsonSerializer.Deserialize<List<AuditRecord>>(json, HttpAssert.Json)!;
        Assert.Equal(lines, parsed);

        // Restarted, the server serves the same log to an admin, and to nobody else.
        await f.StartServerAsync();
        var served = await HttpAssert.ReadAsync<List<AuditRecord>>(await f.ServerNode.Http.GetAsync("/v1/audit?since=2000-01-01"));
        Assert.Equal(lines.Count, served.Count);
        using var viewerHttp = new HttpClient(f.ServerNode.CreateHttpHandler()) { BaseAddress = f.ServerNode.ControlUrl };
        viewerHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", f.ServerNode.TokenOf("viewer"));
        await HttpAssert.ExpectErrorAsync(await viewerHttp.GetAsync("/v1/audit"), 403);
        string since = lines[3].Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        string fromServer = await f.CliOkAsync("audit", "--server", f.Client.BaseUrl.ToString(), "--token", f.ServerToken, "--fingerprint", f.ServerNode.Fingerprint!, "--since", since, "-o", "json");
        Assert.Equal(lines.Skip(3), System.Text.Json.JsonSerializer.Deserialize<List<AuditRecord>>(fromServer, HttpAssert.Json)!);
    }
}
