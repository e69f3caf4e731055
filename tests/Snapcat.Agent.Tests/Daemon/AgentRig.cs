using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Snapcat.Array.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;
using Snapcat.TestKit;

namespace Snapcat.Agent.Tests.Daemon;

/// <summary>
/// Real processes: an array daemon (<c>snapcat array serve</c>) with a primary volume at port A LUN 1,
/// a secondary at LUN 2 in its copy destination list, and an agent daemon (<c>snapcat agent serve</c>)
/// whose port correspondence table has /srv/db at that port/LUN and a restore port at port B LUN 7.
/// Hooks are shell scripts appending "name phase mount label recovered" to <see cref="HookLog"/>.
/// </summary>
public sealed class AgentRig : IAsyncDisposable
{
    public const string ArrayToken = "array-token-31d9";
    public const string AgentToken = "agent-token-8c2e";
    public const string MountPoint = "/srv/db";
    public const string Host = "db-01";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private AgentRig(string deviceId)
    {
        Dir = new TempDir("agentd");
        DeviceId = deviceId;
        ArrayControl = FreePort.Next();
        PortA = $"127.0.0.1:{FreePort.Next()}";
        PortB = $"127.0.0.1:{FreePort.Next()}";
        AgentControl = FreePort.Next();
        Array = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ArrayControl}"), Timeout = TimeSpan.FromSeconds(30) };
        Array.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ArrayToken);
        Agent = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AgentControl}"), Timeout = TimeSpan.FromSeconds(60) };
        Agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AgentToken);
    }

    public TempDir Dir { get; }
    public string DeviceId { get; }
    public int ArrayControl { get; }
    public int AgentControl { get; }
    public string PortA { get; }
    public string PortB { get; }
    public HttpClient Array { get; }
    public HttpClient Agent { get; }
    public ChildProcess? ArrayProcess { get; private set; }
    public ChildProcess? AgentProcess { get; private set; }
    public uint Primary { get; private set; }
    public uint Secondary { get; private set; }
    public string HookLog => Dir.Combine("hooks.log");
    public string PreReady => Dir.Combine("pre.ready");
    public string PrePid => Dir.Combine("pre.pid");
    public string ThawRelease => Dir.Combine("thaw.release");

    /// <summary>While this file exists the "thaw" hook fails (exit 3): a postprocess failure on demand.</summary>
    public string FailThaw => Dir.Combine("fail-thaw");

    /// <summary>While this file exists the next "thaw" hook removes it, touches <see cref="PostReady"/> and sleeps (to kill the agent during a postprocess).</summary>
    public string SlowThaw => Dir.Combine("slow-thaw");
    public string PostReady => Dir.Combine("post.ready");
    public string AgentConfigPath => Dir.Combine("agent.json");

    public static async Task<AgentRig> StartAsync(string deviceId, string volumeSize = "16M")
    {
        var rig = new AgentRig(deviceId);
        try
        {
            await rig.WriteConfigsAsync();
            await rig.RestartArrayAsync();
            rig.Primary = (await rig.CreateVolumeAsync(volumeSize)).Number;
            rig.Secondary = (await rig.CreateVolumeAsync(volumeSize)).Number;
            await rig.AssignAsync(rig.Primary, rig.PortA, 1, readOnly: false);
            await rig.AssignAsync(rig.Secondary, rig.PortA, 2, readOnly: true);
            await Read<MirrorDestinationDto>(await rig.Array.PostAsJsonAsync($"/v1/volumes/{rig.Primary}/mirrors", new MirrorAddRequest(rig.Secondary)), HttpStatusCode.Created);
            await rig.RestartAgentAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task WriteConfigsAsync()
    {
        await File.WriteAllTextAsync(Dir.Combine("array.json"), $$"""
            {
              "deviceId": "{{DeviceId}}",
              "dataDirectory": "data",
              "control": { "listen": "127.0.0.1:{{ArrayControl}}", "token": "{{ArrayToken}}" },
              "dataPorts": [ { "listen": "{{PortA}}" }, { "listen": "{{PortB}}" } ]
            }
            """);
        // Every hook writes one line to the hook log and one to stdout (which lands in the job log).
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
        string Hook(string name) => $$"""{ "command": "/bin/sh", "args": ["{{hook}}", "{{name}}"], "timeoutSeconds": 300 }""";
        await File.WriteAllTextAsync(AgentConfigPath, $$"""
            {
              "hostName": "{{Host}}",
              "control": { "listen": "127.0.0.1:{{AgentControl}}", "token": "{{AgentToken}}" },
              "stateDirectory": "state",
              "portCorrespondence": [
                { "mountPoint": "{{MountPoint}}", "deviceFile": "/dev/nbd0", "dataPort": "{{PortA}}", "lun": 1 },
                { "mountPoint": "/srv/ghost", "deviceFile": "/dev/nbd1", "dataPort": "{{PortA}}", "lun": 9 },
              ],
              "restorePorts": [ { "dataPort": "{{PortB}}", "lun": 7, "mountDirectory": "restore-7" } ],
              "restoreDestinations": [ "{{Dir.Path}}" ],
              "arrays": { "{{DeviceId}}": { "url": "http://127.0.0.1:{{ArrayControl}}", "token": "{{ArrayToken}}" } },
              "hooks": { "freeze": {{Hook("freeze")}}, "thaw": {{Hook("thaw")}}, "slow-freeze": {{Hook("slow-freeze")}},
                         "late-freeze": {{Hook("late-freeze")}}, "checked-thaw": {{Hook("checked-thaw")}}, "slow-thaw": {{Hook("slow-thaw")}} },
              "allowRawCommands": false
            }
            """);
    }

    public async Task RestartArrayAsync()
    {
        if (ArrayProcess is not null) await ArrayProcess.DisposeAsync();
        var p = SnapcatBinary.Start("array", "serve", "--config", Dir.Combine("array.json"));
        ArrayProcess = p;
        await Poll.UntilAsync(() => p.Output.Contains($"snapcat array {DeviceId} ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the array's ready line");
        if (p.HasExited) throw new InvalidOperationException("array daemon exited during start:\n" + p.Output);
    }

    /// <summary>kill -9 of the agent process alone (not its process tree): what its hooks do then is their own affair.</summary>
    public void KillAgentOnly()
    {
        using var p = System.Diagnostics.Process.GetProcessById(AgentProcess!.Pid);
        p.Kill(entireProcessTree: false);
        p.WaitForExit(10_000);
    }

    public async Task RestartAgentAsync()
    {
        if (AgentProcess is not null) await AgentProcess.DisposeAsync();
        var p = SnapcatBinary.Start("agent", "serve", "--config", AgentConfigPath);
        AgentProcess = p;
        await Poll.UntilAsync(() => p.Output.Contains($"snapcat agent {Host} ready:") || p.HasExited, TimeSpan.FromSeconds(60), "the agent's ready line");
        if (p.HasExited) throw new InvalidOperationException("agent daemon exited during start:\n" + p.Output);
    }

    // ---- array helpers ----

    public async Task<VolumeDto> CreateVolumeAsync(string size) =>
        await Read<VolumeDto>(await Array.PostAsJsonAsync("/v1/volumes", new CreateVolumeRequest(size)), HttpStatusCode.Created);

    public async Task AssignAsync(uint volume, string port, uint lun, bool readOnly) =>
        await Read<AssignmentDto>(await Array.PostAsJsonAsync($"/v1/volumes/{volume}/assignments", new AssignRequest(port, lun, readOnly)), HttpStatusCode.Created);

    public async Task<byte[]?> VolumeInfoAsync(uint volume)
    {
        var r = await Array.GetAsync($"/v1/volumes/{volume}/info");
        if (r.StatusCode == HttpStatusCode.NotFound) return null;
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await r.Content.ReadAsByteArrayAsync();
    }

    public async Task<int> ArrayJobCountAsync() => (await Read<JobSnapshot[]>(await Array.GetAsync("/v1/jobs"))).Length;

    public async Task<byte[]> FillAsync(uint lun, long size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        await using var c = await NbdClient.ConnectAsync(NbdAddress.Parse(PortA), lun.ToString(System.Globalization.CultureInfo.InvariantCulture));
        const int piece = 4 << 20;
        for (long off = 0; off < size; off += piece)
            await c.WriteAsync(off, data.AsMemory((int)off, (int)Math.Min(piece, size - off)));
        await c.FlushAsync();
        return data;
    }

    public async Task<string> HashLunAsync(string port, uint lun)
    {
        await using var c = await NbdClient.ConnectAsync(NbdAddress.Parse(port), lun.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[4 << 20];
        for (long off = 0; off < c.Size; off += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, c.Size - off);
            await c.ReadAsync(off, buf.AsMemory(0, n));
            h.AppendData(buf, 0, n);
        }
        return Convert.ToHexString(h.GetHashAndReset());
    }

    public static string Hash(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    // ---- agent helpers ----

    public async Task<HttpResponseMessage> PostAgentAsync(string path, object body) =>
        await Agent.PostAsync(path, JsonContent.Create(body, body.GetType(), options: Json));

    public async Task<JobSnapshot> WaitAgentJobAsync(string id, TimeSpan? timeout = null)
    {
        JobSnapshot? last = null;
        await Poll.UntilAsync(async () => (last = await Read<JobSnapshot>(await Agent.GetAsync($"/v1/jobs/{id}"))).State.IsFinal(),
            timeout ?? TimeSpan.FromSeconds(60), $"agent job {id} to finish");
        return last!;
    }

    public string[] HookLines(string label) =>
        File.Exists(HookLog) ? File.ReadAllLines(HookLog).Where(l => l.Split(' ').Length > 3 && l.Split(' ')[3] == label).ToArray() : [];

    public static async Task<T> Read<T>(HttpResponseMessage r, HttpStatusCode expect = HttpStatusCode.OK)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expect, $"{r.RequestMessage?.Method} {r.RequestMessage?.RequestUri}: expected {(int)expect}, got {(int)r.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public static async Task<ErrorDetail> ExpectErrorAsync(HttpResponseMessage r, int status)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"expected {status}, got {(int)r.StatusCode}: {body}");
        var e = JsonSerializer.Deserialize<ErrorBody>(body, Json);
        Assert.NotNull(e?.Error);
        Assert.False(string.IsNullOrWhiteSpace(e.Error.Message));
        return e.Error;
    }

    public async ValueTask DisposeAsync()
    {
        Array.Dispose();
        Agent.Dispose();
        if (AgentProcess is not null) await AgentProcess.DisposeAsync();
        if (ArrayProcess is not null) await ArrayProcess.DisposeAsync();
        Dir.Dispose();
    }
}
