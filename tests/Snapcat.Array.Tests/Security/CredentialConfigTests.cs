using Snapcat.Array.Config;
using Snapcat.Core.Errors;
using Snapcat.Core.Security;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Security;

public sealed class CredentialConfigTests
{
    [Fact]
    public void Credentials_are_read_with_their_scopes_and_every_mistake_is_named()
    {
        using var dir = new TempDir("cred");
        File.WriteAllText(dir.Combine("host1.token"), "host1-s3cret\n");
        string path = dir.Combine("array.json");
        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "d", "dataPorts": [ { "listen": "127.0.0.1:10809" } ],
              "control": { "insecure": true, "listen": "127.0.0.1:8470", "auditFile": "logs/audit.jsonl", "credentials": [
                { "name": "server", "token": "srv", "role": "admin" },
                { "name": "agent-host1", "tokenFile": "host1.token", "role": "agent", "volumes": [3],
                  "luns": ["localhost:10809/1"], "restorePorts": ["127.0.0.1:10809/7"] } ] } }
            """);
        var c = ArrayConfigLoader.Load(path);
        Assert.Equal("srv", c.Token);  // the first admin credential's: what the CLI uses when it reads this file
        var agent = c.Credentials[1];
        Assert.Equal(("agent-host1", "host1-s3cret", CredentialRole.Agent), (agent.Name, agent.Token, agent.Role));
        Assert.Equal([3u], agent.Volumes);
        Assert.Equal([new PortLun("localhost:10809", 1)], agent.Luns);  // written as the array writes port addresses
        Assert.Equal([new PortLun("127.0.0.1:10809", 7)], agent.RestorePorts);
        Assert.Equal(dir.Combine("logs/audit.jsonl"), c.AuditFile);

        File.WriteAllText(path, """
            { "deviceId": "ARRAY-01", "dataDirectory": "d", "dataPorts": [ { "listen": "127.0.0.1:10809" } ],
              "control": { "insecure": true, "listen": "127.0.0.1:8470", "token": "t", "credentials": [
                { "name": "ops", "token": "o", "role": "operator" },
                { "name": "server", "token": "s", "role": "admin", "volumes": [1] },
                { "name": "agent-a", "token": "a", "role": "agent" },
                { "name": "agent-b", "token": "b", "role": "agent", "luns": ["nowhere"], "volumes": [0] },
                { "name": "control", "token": "t", "role": "admin" } ] } }
            """);
        var ex = Assert.Throws<SnapcatException>(() => ArrayConfigLoader.Load(path));
        Assert.Contains("control.credentials[0].role 'operator' is not a role of this daemon; use one of admin, agent, read-only", ex.Message);
        Assert.Contains("control.credentials[1]: volumes, luns and restorePorts limit an agent credential", ex.Message);
        Assert.Contains("control.credentials[2]: an agent credential needs the host's volumes", ex.Message);
        Assert.Contains("control.credentials[3].volumes: 0 is not a volume number", ex.Message);
        Assert.Contains("control.credentials[3].luns[0] 'nowhere' is not host:port/lun", ex.Message);
        Assert.Contains("control.credentials[4].name 'control' is used twice", ex.Message);
        Assert.Contains("control.credentials[4]: its token is also the token of credential 'control'", ex.Message);
        Assert.Contains("7 problem(s)", ex.Message);
    }
}
