using System.Runtime.Versioning;
using Snapcat.Contracts.Server;
using Snapcat.Core.Config;
using Snapcat.Server.Config;
using Snapcat.Server.Tape;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// The backup server of a <see cref="SnapcatSystem"/> (<c>snapcat server serve</c>): a SQLite catalog
/// beside its configuration unless <see cref="PostgresConnectionString"/> is set, the agents and arrays of
/// the system that have started (written at each start), an optional tape library and schedule options.
/// </summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public sealed class ServerNode : DaemonNode
{
    public const string DefaultToken = "test-server-token-2b9e";
    private ServerClient? _client;

    internal ServerNode(SnapcatSystem system) : base(system, "server", "server", DefaultToken)
    {
    }

    /// <summary>The SQLite catalog file, relative to <see cref="DaemonNode.Dir"/>; ignored with PostgreSQL.</summary>
    public string CatalogPath { get; set; } = "catalog.db";

    public string CatalogFile => Path.GetFullPath(CatalogPath, Dir);

    public string? PostgresConnectionString { get; set; }

    /// <summary>The virtual tape library; its directory is relative to <see cref="DaemonNode.Dir"/> when not absolute.</summary>
    public TapeLibraryConfig? TapeLibrary { get; set; }

    /// <summary>A library "TAPE-01" in the folder "tapes" with the given capacity and slots.</summary>
    public ServerNode WithTapeLibrary(string capacity = "2G", int slots = 64, int drives = 1, string libraryId = "TAPE-01")
    {
        TapeLibrary = new TapeLibraryConfig { LibraryId = libraryId, Directory = "tapes", Capacity = capacity, Slots = slots, Drives = drives };
        return this;
    }

    public string? TapeDirectory => TapeLibrary is null ? null : Path.GetFullPath(TapeLibrary.Directory, Dir);

    public int? MinimumIntervalSeconds { get; set; }

    /// <summary>The agents the server knows; null: every agent of the system that has started.</summary>
    public List<AgentNode>? Agents { get; set; }

    /// <summary>The arrays the server knows; null: every array of the system that has started.</summary>
    public List<ArrayNode>? Arrays { get; set; }

    public Func<ServerConfig, ServerConfig>? Edit { get; set; }

    /// <summary>Writes the server's state copy to the arrays and tapes (docs/disaster-recovery.md); off by default in tests.</summary>
    public bool StateCopy { get; set; }

    /// <summary>The typed client; a server in a namespace is driven with <see cref="DaemonNode.RunCliAsync"/> or <see cref="DaemonNode.Http"/> instead.</summary>
    public ServerClient Client => _client ??= Namespace is null
        ? new ServerClient(ControlUrl, Token, TimeSpan.FromSeconds(60), Trust)
        : throw new InvalidOperationException($"the server runs in network namespace {Namespace.Name}, and ServerClient cannot connect from inside it; use RunCliAsync (the CLI on the server's host) or Http");

    /// <summary>A typed client with a credential added by <see cref="ServerNode.WithCredential"/> (dispose it).</summary>
    public ServerClient ClientAs(string credential) => new(ControlUrl, TokenOf(credential), TimeSpan.FromSeconds(60), Trust);

    /// <summary>Adds a named credential ("admin", "operator", "read-only"); fluent, for <c>AddServer(s => s.WithCredential(...))</c>.</summary>
    public ServerNode WithCredential(string name, string role)
    {
        AddCredential(name, role);
        return this;
    }

    public override string AuditFilePath => Path.GetFullPath(AuditFile ?? "audit.log", Dir);

    /// <summary>Arguments that point a CLI command at this server's configuration.</summary>
    public string[] ConfigArgs => ["--config", ConfigPath];

    public ServerConfig BuildConfig()
    {
        var config = new ServerConfig
        {
            Control = new ServerControlConfig { Listen = ControlListen, Token = Token, Credentials = CredentialConfigs(), AuditFile = AuditFile, Tls = ControlTls, Insecure = Insecure },
            Catalog = PostgresConnectionString is { } pg ? new ServerCatalogConfig { ConnectionString = pg } : new ServerCatalogConfig { Path = CatalogPath },
            Agents = (Agents ?? Parent.Agents.Where(a => a.HasStarted).ToList())
                .ToDictionary(a => a.HostName, a => new RemoteEndpointConfig { Url = a.ControlUrl.ToString(), Token = a.Token, Fingerprint = a.Fingerprint }),
            Arrays = (Arrays ?? Parent.Arrays.Where(a => a.HasStarted).ToList())
                .ToDictionary(a => a.DeviceId, a => new RemoteEndpointConfig { Url = a.ControlUrl.ToString(), Token = a.Token, Fingerprint = a.Fingerprint }),
            TapeLibrary = TapeLibrary,
            Scheduling = MinimumIntervalSeconds is int s ? new ServerSchedulingConfig { MinimumIntervalSeconds = s } : null,
            // Off unless a test asks for it: the state copy adds a catalog volume to every array, which volume counts of other tests do not expect.
            StateCopy = new ServerStateCopyConfig { Enabled = StateCopy, DebounceSeconds = StateCopy ? 0.5 : null },
        };
        return Edit is null ? config : Edit(config);
    }

    protected override string ReadyPrefix => "snapcat server ready:";

    protected override void WriteConfig() => ConfigFile.Write(ConfigPath, BuildConfig());

    protected override void DisposeClients() => _client?.Dispose();
}
