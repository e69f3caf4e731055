using Snapcat.Agent.Config;
using Snapcat.Array.Config;
using Snapcat.Core.Config;
using Snapcat.Core.Storage;
using Snapcat.Core.Tls;
using Snapcat.Nbd.Client;
using Snapcat.Nbd.Tls;
using Snapcat.Server.Config;

namespace Snapcat.Cli.Quickstart;

/// <summary>
/// The configuration files of the quickstart's three daemons, serialised from the typed configuration
/// records the daemons load (README and docs/agent.md show the same shapes), plus the freeze/thaw hook
/// script. The records, not text templates, so a renamed member breaks the build, not the quickstart.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class QuickstartConfigs
{
    public static void Write(QuickstartContext c)
    {
        // HTTPS on every control API, as snapcat init sets it up: a key and self-signed certificate per daemon,
        // and every client (the other daemons, this process) pins the fingerprint of the one it calls.
        c.ArrayCertificate = ControlCertificate.CreateFiles(c.Path("array.crt"), c.Path("array.key"), "localhost");
        c.AgentCertificate = ControlCertificate.CreateFiles(c.Path("agent.crt"), c.Path("agent.key"), "localhost");
        c.ServerCertificate = ControlCertificate.CreateFiles(c.Path("server.crt"), c.Path("server.key"), "localhost");
        string arrayPin = CertificateFingerprint.Show(c.ArrayCertificate), agentPin = CertificateFingerprint.Show(c.AgentCertificate);
        static ControlTlsConfig Tls(string name) => new() { CertificateFile = name + ".crt", KeyFile = name + ".key" };

        // NBD over TLS with a pre-shared key on both data ports: one psktool-format file with a key for
        // the agent (its host name is its identity) and one for this process's own tools and client.
        WritePskFile(c.PskFilePath, [PskKeyFile.NewLine(QuickstartContext.Host), PskKeyFile.NewLine(QuickstartContext.TourIdentity)]);
        c.NbdTls = NbdClientTls.Psk(QuickstartContext.TourIdentity, PskKeyFile.ReadKey(c.PskFilePath, QuickstartContext.TourIdentity)) with { PskFile = c.PskFilePath };

        // Each configuration holds bearer tokens: ConfigFile writes it 0600 from its first byte.
        ConfigFile.Write(c.ArrayConfigPath, new ArrayConfig
        {
            DeviceId = c.DeviceId,
            DataDirectory = "array-data",
            Control = new ControlEndpointConfig { Listen = HostPort(c.ArrayUrl), Token = c.ArrayToken, Tls = Tls("array") },
            DataPorts =
            [
                new DataPortConfig { Listen = c.DataPort, Tls = "require", PskFile = QuickstartContext.PskFileName },
                new DataPortConfig { Listen = c.RestorePort, Tls = "require", PskFile = QuickstartContext.PskFileName },
            ],
        });

        // The hooks a real host would use to quiesce an application; here each writes one line.
        string hook = c.Path("hooks.sh");
        File.WriteAllText(hook, $$"""
            #!/bin/sh
            # $1 is the hook's name; the agent passes the phase, mount point and label in the environment.
            echo "$(date +%H:%M:%S) $1 ($SNAPCAT_PHASE) $SNAPCAT_MOUNT_POINT label=$SNAPCAT_LABEL" >> '{{c.HookLogPath}}'
            echo "hook $1 ran"
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        HookConfig Hook(string name) => new() { Command = "/bin/sh", Args = [hook, name], TimeoutSeconds = 30 };
        ConfigFile.Write(c.AgentConfigPath, new AgentConfig
        {
            HostName = QuickstartContext.Host,
            Control = new AgentControlConfig { Listen = HostPort(c.AgentUrl), Token = c.AgentToken, Tls = Tls("agent") },
            StateDirectory = "agent-state",
            PortCorrespondence =
            [
                new PortCorrespondenceEntry { MountPoint = QuickstartContext.MountPoint, DeviceFile = "/dev/nbd0", DataPort = c.DataPort, Lun = QuickstartContext.PrimaryLun },
            ],
            RestorePorts = [new RestorePortEntry { DataPort = c.RestorePort, Lun = QuickstartContext.RestoreLun, MountDirectory = "restore-mount" }],
            RestoreDestinations = ["restored"],
            Arrays = new Dictionary<string, ArrayEndpointConfig>
            {
                [c.DeviceId] = new()
                {
                    Url = c.ArrayUrl, Token = c.ArrayToken, Fingerprint = arrayPin,
                    NbdTls = new NbdClientTlsConfig { PskFile = QuickstartContext.PskFileName, Username = QuickstartContext.Host },
                }
            },
            Hooks = new Dictionary<string, HookConfig> { ["freeze"] = Hook("freeze"), ["thaw"] = Hook("thaw") },
            AllowRawCommands = false,
        });

        ConfigFile.Write(c.ServerConfigPath, new ServerConfig
        {
            Control = new ServerControlConfig { Listen = HostPort(c.ServerUrl), Token = c.ServerToken, Tls = Tls("server") },
            Catalog = new ServerCatalogConfig { Path = "catalog.db" },
            Agents = new Dictionary<string, RemoteEndpointConfig> { [QuickstartContext.Host] = new() { Url = c.AgentUrl, Token = c.AgentToken, Fingerprint = agentPin } },
            Arrays = new Dictionary<string, RemoteEndpointConfig> { [c.DeviceId] = new() { Url = c.ArrayUrl, Token = c.ArrayToken, Fingerprint = arrayPin } },
            // The state copy (docs/disaster-recovery.md) half a second after the last change, so the tour does not wait for it.
            StateCopy = new ServerStateCopyConfig { DebounceSeconds = 0.5 },
        });
    }

    /// <summary>Owner-only from its first byte (it holds keys); a temporary file, so no fsync.</summary>
    private static void WritePskFile(string path, IEnumerable<string> lines)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = DurableFile.PrivateFile };
        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        foreach (string line in lines) writer.Write(line + "\n");
    }

    private static string HostPort(string url) => new Uri(url).Authority;
}
