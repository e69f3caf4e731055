using Snapcat.Server.Tape;

namespace Snapcat.Server.Tests.Fixtures;

/// <summary>
/// What a server test's system holds besides the fixed part (one array, one agent for <see cref="ServerRig.Host"/>
/// protecting <see cref="ServerRig.MountPoint"/> at port A LUN 1, a restore port at port B LUN 7, hooks freeze, thaw
/// and gate). Volumes: the primary is 1, its mirror secondaries follow (2, …), then the spares.
/// </summary>
public sealed record ServerRigOptions
{
    public string DeviceId { get; init; } = "ARRAY-S1";
    public string VolumeSize { get; init; } = "4M";
    /// <summary>Mirror secondaries in the primary's copy destination list.</summary>
    public int Mirrors { get; init; } = 1;
    /// <summary>Volumes of the same size in no list and assigned nowhere.</summary>
    public int Spares { get; init; }
    /// <summary>Where the first secondary is assigned read-only on port A; null: nowhere.</summary>
    public uint? SecondaryLun { get; init; }
    /// <summary><c>snapcat server serve</c> as a child process; otherwise the server runs in the test process (its runtime reachable).</summary>
    public bool ServerProcess { get; init; }
    /// <summary>A PostgreSQL catalog (emptied at the start) instead of SQLite.</summary>
    public string? Postgres { get; init; }
    public TapeLibraryConfig? TapeLibrary { get; init; }
    /// <summary>Device ID → control URL of arrays the server knows but the system does not run (e.g. a port nothing listens on).</summary>
    public IReadOnlyDictionary<string, string> ExtraArrays { get; init; } = new Dictionary<string, string>();
    /// <summary>The server's shortest schedule interval; null: the server's default (one minute).</summary>
    public int? MinimumIntervalSeconds { get; init; }
    /// <summary>
    /// The agent calls the array with an agent credential (<see cref="ServerRig.AgentArrayCredential"/>) limited to
    /// the volume at its protected LUN (port A LUN 1, with its copy destinations and snapshots) and its restore
    /// port (port B LUN 7), as a production array gives each host; otherwise with the array's admin token.
    /// </summary>
    public bool ScopedAgent { get; init; }

    /// <summary>The server writes its state copy (docs/disaster-recovery.md), debounced 0.5 s; off for the other tests.</summary>
    public bool StateCopy { get; init; }
    /// <summary>Named credentials of the server besides its admin token: name → role ("operator", "read-only", "admin").</summary>
    public IReadOnlyDictionary<string, string> ServerCredentials { get; init; } = new Dictionary<string, string>();

    /// <summary>The flow tests' layout: ARRAY-S1 with primary 1, mirrors 2 and 3, spare 4 (4 MiB); schedules down to one second.</summary>
    public static ServerRigOptions Flows => new() { Mirrors = 2, Spares = 1, MinimumIntervalSeconds = 1 };

    /// <summary>The whole system as processes (32 MiB volumes, a server child process), as an administrator runs it.</summary>
    public static ServerRigOptions System(string deviceId, string? postgres = null) =>
        new() { DeviceId = deviceId, VolumeSize = "32M", ServerProcess = true, Postgres = postgres };

    /// <summary>The tape flows: ARRAY-T1 with a mirror secondary at port A LUN 2, and the library TAPE-T1.</summary>
    public static ServerRigOptions Tape(string capacity = "64M", string volumeSize = "4M", bool serverProcess = false) => new()
    {
        DeviceId = ServerRig.TapeArray, VolumeSize = volumeSize, SecondaryLun = 2, ServerProcess = serverProcess,
        TapeLibrary = new TapeLibraryConfig { LibraryId = ServerRig.TapeLibraryId, Directory = "tapes", Capacity = capacity, Slots = 16 },
    };
}
