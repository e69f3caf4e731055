using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Snapcat.Agent.Config;
using Snapcat.Contracts.Agent;
using Snapcat.Core.Security;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests.Security;

/// <summary>An agent takes flows only from the backup server's credential (admin); a monitoring credential reads.</summary>
public sealed class AgentCredentialTests
{
    [Fact]
    public async Task The_agent_refuses_flows_from_any_credential_but_the_servers_and_audits_the_refusals()
    {
        await using var system = new SnapcatSystem("agent-cred");
        var array = system.AddArray("ARRAY-AC");
        array.AddVolume("1M", port: 0, lun: 1);
        var agent = system.AddAgent("host-ac", a => a.Protect("/srv/db", "/dev/nbd0", array.Port(0), 1).WithCredential("monitor", "read-only"));
        await system.StartAsync();

        var monitor = agent.HttpAs("monitor");
        Assert.Equal(HttpStatusCode.OK, (await monitor.GetAsync("/v1/agent")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await monitor.GetAsync("/v1/jobs")).StatusCode);

        var order = new BackupOrder("mirror", "/srv/db", "daily", DestinationVolume: 2);
        var backup = await HttpAssert.ExpectErrorAsync(await monitor.PostAsJsonAsync("/v1/backups", order, HttpAssert.Json), 403);
        Assert.Equal("auth.role", backup.Code);
        Assert.Equal("POST /v1/backups on the agent needs the admin role; the credential 'monitor' has the read-only role", backup.Message);
        await HttpAssert.ExpectErrorAsync(await monitor.PostAsJsonAsync("/v1/backup-deletions", new { deviceId = "ARRAY-AC", volume = 1 }), 403);
        await HttpAssert.ExpectErrorAsync(await monitor.DeleteAsync("/v1/jobs/j-1"), 403);

        // Another daemon's token (here the array's) is no credential of the agent at all.
        using var other = new HttpClient(agent.CreateHttpHandler()) { BaseAddress = agent.ControlUrl };
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", array.Token);
        var bad = await HttpAssert.ExpectErrorAsync(await other.PostAsJsonAsync("/v1/volume-restores", new { mountPoint = "/srv/db", deviceId = "ARRAY-AC", backupVolume = 1 }), 401);
        Assert.Equal("auth.bad_token", bad.Code);

        Assert.Empty(await agent.Client.ListJobsAsync());
        var lines = AuditLogFile.Read(agent.AuditFilePath);
        Assert.Equal(
            [("monitor", "POST", "/v1/backups", 403), ("monitor", "POST", "/v1/backup-deletions", 403),
             ("monitor", "DELETE", "/v1/jobs/{id}", 403), ("-", "POST", "/v1/volume-restores", 401)],
            lines.Select(l => (l.Principal, l.Method, l.Route, l.Status)));
        Assert.All(lines, l => Assert.Equal("refused", l.Outcome));
    }

    [Fact]
    public void An_agent_credential_with_a_role_the_agent_does_not_know_is_a_config_error()
    {
        const string json = """
        {
          "hostName": "h", "stateDirectory": "state",
          "control": { "insecure": true, "listen": "127.0.0.1:0", "credentials": [
            { "name": "server", "token": "a", "role": "admin" },
            { "name": "ops", "token": "b", "role": "operator" },
            { "name": "twin", "token": "a", "role": "read-only" },
            { "name": "bad name", "token": "c", "role": "read-only" } ] }
        }
        """;
        var ex = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse(json, "/tmp"));
        Assert.Contains(ex.Problems, p => p.StartsWith("control.credentials[1].role 'operator' is not a role of this daemon; use one of admin, read-only", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("control.credentials[2]: its token is also the token of credential 'server'", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("control.credentials[3].name 'bad name' is not valid", StringComparison.Ordinal));

        const string good = """
        {
          "hostName": "h", "stateDirectory": "state",
          "control": { "insecure": true, "listen": "127.0.0.1:0", "token": "server-token",
            "credentials": [ { "name": "monitor", "token": "m", "role": "read-only" } ] }
        }
        """;
        var ok = AgentConfigLoader.Parse(good, "/tmp");
        Assert.Equal([("control", CredentialRole.Admin), ("monitor", CredentialRole.ReadOnly)], ok.ControlCredentials.Select(c => (c.Name, c.Role)));
        Assert.Equal("/tmp/state/audit.log", ok.AuditFilePath);
    }
}
