using System.Net;
using System.Text.Json;
using Snapcat.Contracts.Array;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// The agent tests' scenario on the test system (<see cref="SnapcatSystem"/>): an array with a primary
/// volume at port A LUN 1, a secondary at LUN 2 in its copy destination list, and an agent whose port
/// correspondence table has /srv/db at that port/LUN (and /srv/ghost at a LUN nothing serves) and a
/// restore port at port B LUN 7. Hooks are one shell script appending "name phase mount label recovered"
/// to <see cref="HookLog"/>; files in the system's folder steer the slow and failing ones.
/// </summary>
public sealed class AgentRig : IAsyncDisposable
{
    public const string MountPoint = "/srv/db";
    public const string Host = "db-01";
    private static readonly string[] HookNames = ["freeze", "thaw", "slow-freeze", "late-freeze", "checked-thaw", "slow-thaw"];
    private readonly SnapcatSystem _system;
    private readonly ArrayNode _array;
    private readonly AgentNode _agent;

    private AgentRig(string deviceId, string volumeSize)
    {
        _system = new SnapcatSystem("agentd");
        _array = _system.AddArray(deviceId);
        var primary = _array.AddVolume(volumeSize, port: 0, lun: 1);
        _array.AddVolume(volumeSize, port: 0, lun: 2, readOnly: true, mirrorOf: primary);
        string hook = Dir.Combine("hook.sh");
        _agent = _system.AddAgent(Host, a =>
        {
            a.Protect(MountPoint, "/dev/nbd0", _array.Port(0), 1)
             .Protect("/srv/ghost", "/dev/nbd1", _array.Port(0), 9)
             .AddRestorePort(_array.Port(1), 7, Dir.Combine("restore-7"));
            a.StateDirectory = Dir.Combine("state");
            a.RestoreDestinations.Add(Dir.Path);
            foreach (string name in HookNames) a.AddHook(name, "/bin/sh", [hook, name]);
        });
    }

    public TempDir Dir => _system.Dir;
    public string DeviceId => _array.DeviceId;
    public string PortA => _array.DataPorts[0];
    public string PortB => _array.DataPorts[1];
    /// <summary>The array's control API with its token, for raw requests.</summary>
    public HttpClient Array => _array.Http;
    /// <summary>The agent's control API with its token, for raw requests.</summary>
    public HttpClient Agent => _agent.Http;
    /// <summary>A handler that pins the agent's certificate, for a test that builds its own client (no token, a wrong one).</summary>
    public HttpMessageHandler AgentHandler() => _agent.CreateHandler();
    public ChildProcess? ArrayProcess => _array.Process;
    public ChildProcess? AgentProcess => _agent.Process;
    public uint Primary => _array.Volumes[0].RequireNumber();
    public uint Secondary => _array.Volumes[1].RequireNumber();
    public string HookLog => Dir.Combine("hooks.log");
    public string PreReady => Dir.Combine("pre.ready");
    public string PrePid => Dir.Combine("pre.pid");
    public string ThawRelease => Dir.Combine("thaw.release");

    /// <summary>While this file exists the "thaw" hook fails (exit 3): a postprocess failure on demand.</summary>
    public string FailThaw => Dir.Combine("fail-thaw");

    /// <summary>While this file exists the next "thaw" hook removes it, touches <see cref="PostReady"/> and sleeps (to kill the agent during a postprocess).</summary>
    public string SlowThaw => Dir.Combine("slow-thaw");
    public string PostReady => Dir.Combine("post.ready");
    public static JsonSerializerOptions Json => HttpAssert.Json;

    public static async Task<AgentRig> StartAsync(string deviceId, string volumeSize = "16M")
    {
        var rig = new AgentRig(deviceId, volumeSize);
        try
        {
            await rig.WriteHookAsync();
            await rig._system.StartAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every hook writes one line to the hook log and one to stdout (which lands in the job log).</summary>
    private async Task WriteHookAsync()
    {
        string hook = Dir.Combine("hook.sh");
        await File.WriteAllTextAsync(hook, $$"""
            #!/bin/sh
            echo "$1 $SNAPCAT_PHASE $SNAPCAT_MOUNT_POINT $SNAPCAT_LABEL recovered=${SNAPCAT_RECOVERED:-0}" >> '{{HookLog}}'
            echo "hook $1 ran"
            if [ "$1" = slow-freeze ]; then touch '{{PreReady}}'; exec sleep 120; fi
            # A freeze that is still under way when the agent dies: it forks a child and finishes later.
            if [ "$1" = late-freeze ]; then echo $$ > '{{PrePid}}'; touch '{{PreReady}}'; sleep 120; echo "late-freeze frozen $SNAPCAT_MOUNT_POINT $SNAPCAT_LABEL" >> '{{HookLog}}'; fi
            # A thaw that notes whether that freeze (its process or any process of its group) still runs.
            if [ "$1" = checked-thaw ] && [ -f '{{PrePid}}' ]; then
              pre=$(cat '{{PrePid}}')
              # A zombie (killed, not yet reaped by whoever inherited it) runs nothing: only live members count.
              alive=0
              for p in $(pgrep -g "$pre"); do st=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ] && alive=1; done
              if [ $alive = 1 ]; then echo "freeze-alive post $SNAPCAT_MOUNT_POINT $SNAPCAT_LABEL" >> '{{HookLog}}'; fi
            fi
            # A thaw that takes as long as the test wants: it waits for the release file.
            if [ "$1" = slow-thaw ]; then i=0; while [ ! -f '{{ThawRelease}}' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; fi
            if [ "$1" = thaw ] && [ -e '{{FailThaw}}' ]; then echo "thaw refused" >&2; exit 3; fi
            if [ "$1" = thaw ] && [ -e '{{SlowThaw}}' ]; then rm -f '{{SlowThaw}}'; touch '{{PostReady}}'; exec sleep 120; fi
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public Task RestartArrayAsync() => _array.RestartAsync();

    /// <summary>kill -9 of the agent process alone (not its process tree): what its hooks do then is their own affair.</summary>
    public void KillAgentOnly() => _agent.KillProcessOnly();

    public Task RestartAgentAsync() => _agent.RestartAsync();

    // ---- array helpers ----

    public Task<VolumeDto> CreateVolumeAsync(string size) => _array.Client.CreateVolumeAsync(size);

    public Task AssignAsync(uint volume, string port, uint lun, bool readOnly) => _array.Client.AssignAsync(volume, port, lun, readOnly);

    public Task<byte[]?> VolumeInfoAsync(uint volume) => _array.Client.GetVolumeInfoAsync(volume);

    public async Task<int> ArrayJobCountAsync() => (await _array.Client.ListJobsAsync()).Count;

    public Task<byte[]> FillAsync(uint lun, long size, int seed) => LunData.FillAsync(PortA, lun, size, seed);

    public Task<string> HashLunAsync(string port, uint lun) => LunData.HashLunAsync(port, lun);

    public static string Hash(byte[] data) => LunData.Hash(data);

    // ---- agent helpers ----

    public Task<HttpResponseMessage> PostAgentAsync(string path, object body) => _agent.PostAsync(path, body);

    public Task<JobSnapshot> WaitAgentJobAsync(string id, TimeSpan? timeout = null) => _agent.WaitJobAsync(id, timeout ?? TimeSpan.FromSeconds(60));

    public string[] HookLines(string label) =>
        File.Exists(HookLog) ? File.ReadAllLines(HookLog).Where(l => l.Split(' ').Length > 3 && l.Split(' ')[3] == label).ToArray() : [];

    public static Task<T> Read<T>(HttpResponseMessage r, HttpStatusCode expect = HttpStatusCode.OK) => HttpAssert.ReadAsync<T>(r, expect);

    public static Task<ErrorDetail> ExpectErrorAsync(HttpResponseMessage r, int status) => HttpAssert.ExpectErrorAsync(r, status);

    public ValueTask DisposeAsync() => _system.DisposeAsync();
}
