using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Snapcat.Array.Api;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// A real array daemon (<c>snapcat array serve</c>) in a child process on free loopback ports, with a
/// small HTTP helper for its control API. Restart keeps the data directory (crash tests).
/// </summary>
public sealed class RunningArray : IAsyncDisposable
{
    public const string Token = "test-token-7f3a";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private RunningArray(TempDir dir, string deviceId, int controlPort, int[] dataPorts, string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? dir.Combine("data");
        Dir = dir;
        DeviceId = deviceId;
        ControlPort = controlPort;
        DataPorts = dataPorts.Select(p => $"127.0.0.1:{p}").ToArray();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{controlPort}"), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public TempDir Dir { get; }
    public string DeviceId { get; }
    public int ControlPort { get; }
    public string[] DataPorts { get; }
    public HttpClient Http { get; }
    public ChildProcess? Process { get; private set; }
    public string ConfigPath => Dir.Combine("array.json");
    public string DataDirectory { get; }

    /// <param name="peers">Other arrays this one may copy volumes to (FIG. 19), by device ID.</param>
    /// <param name="dataDirectory">An absolute data directory (e.g. a small file system made by the test); default "data" beside the config.</param>
    /// <param name="dataPortOptions">Extra JSON members for every data port, e.g. <c>"handshakeTimeoutSeconds": 2</c>.</param>
    public static async Task<RunningArray> StartAsync(string deviceId = "ARRAY-T1", int dataPortCount = 2, IReadOnlyList<RunningArray>? peers = null,
        string? dataDirectory = null, string? dataPortOptions = null)
    {
        var dir = new TempDir("array");
        var a = new RunningArray(dir, deviceId, FreePort.Next(), Enumerable.Range(0, dataPortCount).Select(_ => FreePort.Next()).ToArray(), dataDirectory);
        // Relative dataDirectory on purpose: it must resolve against the config file's folder.
        string extra = dataPortOptions is null ? "" : ", " + dataPortOptions;
        string ports = string.Join(", ", a.DataPorts.Select(p => $"{{ \"listen\": \"{p}\"{extra} }}"));
        string peerJson = string.Join(", ", (peers ?? []).Select(p => $"\"{p.DeviceId}\": {{ \"url\": \"http://127.0.0.1:{p.ControlPort}\", \"token\": \"{Token}\" }}"));
        await File.WriteAllTextAsync(a.ConfigPath, $$"""
            {
              "deviceId": "{{deviceId}}",
              "dataDirectory": {{JsonSerializer.Serialize(dataDirectory ?? "data")}},
              "control": { "listen": "127.0.0.1:{{a.ControlPort}}", "token": "{{Token}}" },
              "dataPorts": [ {{ports}} ],
              "peers": { {{peerJson}} }
            }
            """);
        await a.RestartAsync();
        return a;
    }

    /// <summary>Starts (or starts again) the daemon on the same configuration and data directory, and waits for its ready line.</summary>
    /// <param name="launcher">A program and arguments to run the daemon under (e.g. strace), or null.</param>
    public async Task RestartAsync(IReadOnlyList<string>? launcher = null)
    {
        if (Process is not null) await Process.DisposeAsync();
        var p = launcher is null
            ? SnapcatBinary.Start("array", "serve", "--config", ConfigPath)
            : ChildProcess.Start(launcher[0], [.. launcher.Skip(1), "dotnet", SnapcatBinary.DllPath, "array", "serve", "--config", ConfigPath]);
        Process = p;
        await Poll.UntilAsync(() => p.Output.Contains($"snapcat array {DeviceId} ready:") || p.HasExited,
            TimeSpan.FromSeconds(60), "the array's ready line");
        if (p.HasExited) throw new InvalidOperationException("array daemon exited during start:\n" + p.Output);
    }

    public async Task<VolumeDto> CreateVolumeAsync(string size)
    {
        var r = await Http.PostAsJsonAsync("/v1/volumes", new CreateVolumeRequest(size));
        return await ReadAsync<VolumeDto>(r, System.Net.HttpStatusCode.Created);
    }

    public async Task<VolumeDto> GetVolumeAsync(uint number) =>
        await ReadAsync<VolumeDto>(await Http.GetAsync($"/v1/volumes/{number}"));

    public async Task<T> GetAsync<T>(string path) => await ReadAsync<T>(await Http.GetAsync(path));

    public Task<HttpResponseMessage> AssignAsync(uint number, string port, uint lun, bool readOnly = false) =>
        Http.PostAsJsonAsync($"/v1/volumes/{number}/assignments", new AssignRequest(port, lun, readOnly));

    public Task<HttpResponseMessage> PutInfoAsync(uint number, byte[] info)
    {
        var content = new ByteArrayContent(info);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return Http.PutAsync($"/v1/volumes/{number}/info", content);
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage r, System.Net.HttpStatusCode expect = System.Net.HttpStatusCode.OK)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expect, $"expected {(int)expect}, got {(int)r.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    /// <summary>Asserts the status and that the body is an ErrorBody; returns it.</summary>
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
        Http.Dispose();
        if (Process is not null) await Process.DisposeAsync();
        Dir.Dispose();
    }
}
