using Snapcat.Contracts.Array;
using Snapcat.Contracts.Server;
using Snapcat.Server.Catalog;
using Snapcat.Server.Config;
using Snapcat.Server.Hosting;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>
/// The server tests' system on the test kit's builder, no fakes: a real array (<c>snapcat array serve</c>) with a
/// primary at port A LUN 1 and its mirror secondaries, a real agent (<c>snapcat agent serve</c>) for host
/// <see cref="Host"/> protecting <see cref="MountPoint"/> there, with a restore port at port B LUN 7 and the hooks
/// freeze, thaw and gate (one script, <see cref="HookLog"/>), and the backup server — in the test process
/// (<see cref="Server"/> gives its runtime) or as a child process (<see cref="ServerNode"/>), on SQLite or PostgreSQL.
/// </summary>
public sealed partial class ServerRig : IAsyncDisposable
{
    public const string Host = "db01";
    public const string MountPoint = "/data";
    public const string TapeArray = "ARRAY-T1";
    public const string TapeLibraryId = "TAPE-T1";
    public const string AgentArrayCredential = "agent-db01";

    private readonly SnapcatSystem _system;
    private readonly VolumeSpec _primary;
    private readonly VolumeSpec[] _secondaries;
    private ServerClient? _client;

    private ServerRig(ServerRigOptions options)
    {
        Options = options;
        _system = new SnapcatSystem("server-rig");
        ArrayNode = _system.AddArray(options.DeviceId);
        _primary = ArrayNode.AddVolume(options.VolumeSize, port: 0, lun: 1);
        _secondaries = Enumerable.Range(0, options.Mirrors).Select(i => i == 0 && options.SecondaryLun is uint lun
            ? ArrayNode.AddVolume(options.VolumeSize, port: 0, lun: lun, readOnly: true, mirrorOf: _primary)
            : ArrayNode.AddVolume(options.VolumeSize, mirrorOf: _primary)).ToArray();
        for (int i = 0; i < options.Spares; i++) ArrayNode.AddVolume(options.VolumeSize);

        if (options.ScopedAgent)
            ArrayNode.WithAgentCredential(AgentArrayCredential, () => [], luns: () => [$"{PortA}/1"], restorePorts: () => [$"{PortB}/7"]);

        AgentNode = _system.AddAgent(Host);
        if (options.ScopedAgent) AgentNode.UseArrayCredential(ArrayNode, AgentArrayCredential);
        AgentNode.Protect(MountPoint, "/dev/nbd0", ArrayNode.Port(0), 1);
        AgentNode.AddRestorePort(ArrayNode.Port(1), 7, "restore-7");
        AgentNode.RestoreDestinations.Add(Dir.Path);
        string hook = Dir.Combine("hook.sh");
        AgentNode.AddHook("freeze", "/bin/sh", [hook, "freeze"], timeoutSeconds: 120);
        AgentNode.AddHook("thaw", "/bin/sh", [hook, "thaw"], timeoutSeconds: 120);
        AgentNode.AddHook("gate", "/bin/sh", [hook, "gate"], timeoutSeconds: 300);

        ServerNode = _system.AddServer(s =>
        {
            s.PostgresConnectionString = options.Postgres;
            s.TapeLibrary = options.TapeLibrary;
            s.MinimumIntervalSeconds = options.MinimumIntervalSeconds;
            s.StateCopy = options.StateCopy;
            foreach (var (name, role) in options.ServerCredentials) s.WithCredential(name, role);
            if (options.ExtraArrays.Count > 0)
                s.Edit = c => c with
                {
                    Arrays = (c.Arrays ?? new Dictionary<string, RemoteEndpointConfig>())
                        .Concat(options.ExtraArrays.Select(e => KeyValuePair.Create(e.Key, new RemoteEndpointConfig { Url = e.Value, Token = "no-such-array" })))
                        .ToDictionary(),
                };
        });
    }

    public ServerRigOptions Options { get; }
    public TempDir Dir => _system.Dir;
    public string DeviceId => Options.DeviceId;
    public string VolumeSize => Options.VolumeSize;
    public long VolumeBytes => Snapcat.Core.Units.ByteSize.Parse(Options.VolumeSize);

    public ArrayNode ArrayNode { get; }
    public AgentNode AgentNode { get; }
    /// <summary>The server's node: its configuration in process mode and with <see cref="ServerRigOptions.ServerProcess"/> its process.</summary>
    public ServerNode ServerNode { get; }
    /// <summary>The server running in the test process; null with <see cref="ServerRigOptions.ServerProcess"/> or while stopped.</summary>
    public ServerHost? Server { get; private set; }

    public ArrayClient Array => ArrayNode.Client;
    public ServerClient Client => _client ?? throw new InvalidOperationException("the server is not running");
    /// <summary>A client of the running server (in process or not) with a credential of <see cref="ServerRigOptions.ServerCredentials"/>; dispose it.</summary>
    public ServerClient ClientAs(string credential) => new(Client.BaseUrl, ServerNode.TokenOf(credential), TimeSpan.FromSeconds(60), ServerNode.Trust);
    public string ServerToken => ServerNode.Token;
    /// <summary>
    /// Arguments that point a CLI command at the running server: its configuration file when it is a process (as an
    /// administrator on the server's machine runs the CLI), its URL and token when it runs in the test process.
    /// </summary>
    public string[] Conn => Options.ServerProcess ? ServerNode.ConfigArgs : ServerArgs;
    /// <summary>The running server's URL and token as CLI arguments (the <c>tape</c> commands take no configuration file).</summary>
    public string[] ServerArgs => ["--server", Client.BaseUrl.ToString(), "--token", ServerToken, .. ServerNode.Fingerprint is { } f ? new[] { "--fingerprint", f } : []];

    public string PortA => ArrayNode.DataPorts[0];
    public string PortB => ArrayNode.DataPorts[1];
    public uint Primary => _primary.RequireNumber();
    public uint Secondary => _secondaries[0].RequireNumber();
    public string CatalogPath => ServerNode.CatalogFile;

    /// <summary>Hook log: one line per hook run, "NAME PHASE LABEL".</summary>
    public string HookLog => Dir.Combine("hooks.log");
    /// <summary>Created by a test to let the "gate" hook finish (crash tests kill the server meanwhile).</summary>
    public string GateRelease => Dir.Combine("gate.release");
    /// <summary>When this file exists, the thaw hook writes it over the primary (LUN 1) right after the point in time.</summary>
    public string ThawOverwrite => Dir.Combine("thaw-overwrite.img");

    public string[] HookLines() => File.Exists(HookLog) ? File.ReadAllLines(HookLog) : [];

    public static async Task<ServerRig> StartAsync(ServerRigOptions? options = null)
    {
        var rig = new ServerRig(options ?? ServerRigOptions.Flows);
        try
        {
            if (rig.Options.Postgres is not null) await rig.ClearPostgresAsync();
            await rig.ArrayNode.StartAsync();
            // The agent credential's scope names data port addresses, known only once the array has started.
            if (rig.Options.ScopedAgent) await rig.ArrayNode.RestartAsync();
            // Written once port A is known: the thaw hook may write over the primary.
            await rig.WriteHookScriptAsync();
            await rig.AgentNode.StartAsync();
            await rig.StartServerAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task WriteHookScriptAsync()
    {
        string hook = Dir.Combine("hook.sh");
        await File.WriteAllTextAsync(hook, $$"""
            #!/bin/sh
            echo "$1 $SNAPCAT_PHASE $SNAPCAT_LABEL" >> '{{HookLog}}'
            # "gate" holds its phase until the test creates the release file.
            if [ "$1" = gate ]; then while [ ! -f '{{GateRelease}}' ]; do sleep 0.1; done; fi
            if [ "$1" = thaw ] && [ -f '{{ThawOverwrite}}' ]; then exec nbdcopy '{{ThawOverwrite}}' 'nbd://{{PortA}}/1'; fi
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Starts the server (again) on the same catalog and tape library: in process, or its child process.</summary>
    public async Task StartServerAsync()
    {
        _client?.Dispose();
        _client = null;
        Uri url;
        if (Options.ServerProcess)
        {
            await ServerNode.StartAsync();
            url = ServerNode.ControlUrl;
        }
        else
        {
            Server = await ServerHost.StartAsync(ServerConfigLoader.Validate(ServerNode.BuildConfig(), ServerNode.ConfigPath));
            url = new Uri(Server.ControlUrl);
        }
        _client = new ServerClient(url, ServerToken, TimeSpan.FromSeconds(60), ServerNode.Trust);
    }

    /// <summary>A clean stop: the in-process server disposed, or SIGTERM to the server process.</summary>
    public async Task StopServerAsync()
    {
        _client?.Dispose();
        _client = null;
        if (Server is not null)
        {
            await Server.DisposeAsync();
            Server = null;
        }
        if (ServerNode.IsRunning) await ServerNode.StopAsync();
    }

    /// <summary>A server crash: SIGKILL of the server process, no shutdown code runs; <see cref="StartServerAsync"/> starts it again.</summary>
    public void KillServer()
    {
        if (!Options.ServerProcess) throw new InvalidOperationException("only a server process can be killed; start the rig with ServerProcess");
        _client?.Dispose();
        _client = null;
        ServerNode.KillHard();
    }

    /// <summary>Catalog loss: the server stops and its SQLite file (with WAL, shared memory and journal) is deleted, or every PostgreSQL table emptied.</summary>
    public async Task LoseCatalogAsync()
    {
        await StopServerAsync();
        if (Options.Postgres is not null)
        {
            await ClearPostgresAsync();
            return;
        }
        foreach (string suffix in new[] { "", "-wal", "-shm", "-journal" })
            File.Delete(CatalogPath + suffix);
        Assert.False(File.Exists(CatalogPath));
    }

    /// <summary>The agent stopped hard and started again: it has forgotten its jobs (they live in memory).</summary>
    public Task RestartAgentAsync() => AgentNode.RestartAsync();

    private async Task ClearPostgresAsync()
    {
        await using var db = await CatalogDatabase.OpenAsync(Options.Postgres!);
        await PostgresCollection.EmptyAsync(db);
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        await _system.DisposeAsync();
    }
}
