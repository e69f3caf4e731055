namespace Snapcat.Cli;

/// <summary>
/// The configuration files of the quickstart's three daemons, written as a user would write them
/// (README and docs/agent.md show the same shapes), plus the freeze/thaw hook script. Every value
/// put into the JSON is generated here (loopback ports, hex tokens, the temp directory's path),
/// so plain interpolation cannot produce invalid JSON.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class QuickstartConfigs
{
    public static void Write(QuickstartContext c)
    {
        // Each configuration holds bearer tokens: 0600 from its first byte (DurableFile creates it so).
        WritePrivate(c.ArrayConfigPath, $$"""
            {
              "deviceId": "{{c.DeviceId}}",
              "dataDirectory": "array-data",
              "control": { "listen": "{{HostPort(c.ArrayUrl)}}", "token": "{{c.ArrayToken}}" },
              "dataPorts": [ { "listen": "{{c.DataPort}}" }, { "listen": "{{c.RestorePort}}" } ]
            }
            """);

        // The hooks a real host would use to quiesce an application; here each writes one line.
        string hook = c.Path("hooks.sh");
        File.WriteAllText(hook, $$"""
            #!/bin/sh
            # $1 is the hook's name; the agent passes the phase, mount point and label in the environment.
            echo "$(date +%H:%M:%S) $1 ($SNAPCAT_PHASE) $SNAPCAT_MOUNT_POINT label=$SNAPCAT_LABEL" >> '{{c.HookLogPath}}'
            echo "hook $1 ran"
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string Hook(string name) => $$"""{ "command": "/bin/sh", "args": ["{{hook}}", "{{name}}"], "timeoutSeconds": 30 }""";
        WritePrivate(c.AgentConfigPath, $$"""
            {
              "hostName": "{{QuickstartContext.Host}}",
              "control": { "listen": "{{HostPort(c.AgentUrl)}}", "token": "{{c.AgentToken}}" },
              "stateDirectory": "agent-state",
              "portCorrespondence": [
                { "mountPoint": "{{QuickstartContext.MountPoint}}", "deviceFile": "/dev/nbd0", "dataPort": "{{c.DataPort}}", "lun": {{QuickstartContext.PrimaryLun}} }
              ],
              "restorePorts": [ { "dataPort": "{{c.RestorePort}}", "lun": {{QuickstartContext.RestoreLun}}, "mountDirectory": "restore-mount" } ],
              "restoreDestinations": [ "restored" ],
              "arrays": { "{{c.DeviceId}}": { "url": "{{c.ArrayUrl}}", "token": "{{c.ArrayToken}}" } },
              "hooks": { "freeze": {{Hook("freeze")}}, "thaw": {{Hook("thaw")}} },
              "allowRawCommands": false
            }
            """);

        WritePrivate(c.ServerConfigPath, $$"""
            {
              "control": { "listen": "{{HostPort(c.ServerUrl)}}", "token": "{{c.ServerToken}}" },
              "catalog": { "path": "catalog.db" },
              "agents": { "{{QuickstartContext.Host}}": { "url": "{{c.AgentUrl}}", "token": "{{c.AgentToken}}" } },
              "arrays": { "{{c.DeviceId}}": { "url": "{{c.ArrayUrl}}", "token": "{{c.ArrayToken}}" } }
            }
            """);
    }

    private static void WritePrivate(string path, string text) =>
        Snapcat.Core.Storage.DurableFile.WriteAtomic(path, System.Text.Encoding.UTF8.GetBytes(text));

    private static string HostPort(string url) => new Uri(url).Authority;
}
