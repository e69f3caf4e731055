using Snapcat.ControlApi.Hosting;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Snapcat.Agent.Api;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Agent.Tests.Restore;

/// <summary>
/// The restore routes over real HTTP: the routes alone on a bare web application with the array's error
/// middleware standing in for the agent daemon's (the daemon itself adds the token check).
/// </summary>
[Collection(RestoreCollection.Name)]
public sealed class RestoreApiTests(RestoreWorld w)
{
    [Fact]
    public async Task Bad_bodies_get_clear_errors_and_a_good_file_restore_is_a_job()
    {
        if (w.Unavailable is { } why) { Console.WriteLine($"SKIPPED restore API test: {why}"); return; }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");  // the kernel picks the port; Kestrel reports it
        await using var app = builder.Build();
        app.UseMiddleware<ErrorMiddleware>();
        app.MapRestoreApi(w.Runtime);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(ControlApiApp.Addresses(app).First()) };

        await ExpectAsync(await http.PostAsJsonAsync("/v1/volume-restores", new { }), 400, "restore.mount_point_missing");
        await ExpectAsync(await http.PostAsJsonAsync("/v1/volume-restores", new { mountPoint = RestoreWorld.MountPoint }), 400, "restore.backup_volume_missing");
        await ExpectAsync(await http.PostAsJsonAsync("/v1/volume-restores", new { mountPoint = "/not/here", backupVolume = 2 }), 404, "mount_point.unknown");
        await ExpectAsync(await http.PostAsJsonAsync("/v1/volume-restores", new { mountPoint = RestoreWorld.MountPoint, backupVolume = 2, preProcess = new { rawCommand = "reboot" } }), 403, "hook.raw_not_allowed");
        await ExpectAsync(await http.PostAsJsonAsync("/v1/file-restores", new { deviceId = RestoreWorld.DeviceId, backupVolume = w.Secondary, paths = System.Array.Empty<string>(), mountPoint = "/srv/x" }), 400, "restore.nothing_requested");
        await ExpectAsync(await http.PostAsJsonAsync("/v1/file-restores", new { deviceId = RestoreWorld.DeviceId, backupVolume = w.Secondary, paths = new[] { "docs" } }), 400, "restore.destination_missing");
        Assert.DoesNotContain(w.Runtime.Jobs.List(), j => j.Description.Contains("/not/here"));

        string dest = w.Dir.Combine("api-dest");
        var r = await http.PostAsJsonAsync("/v1/file-restores", new { deviceId = RestoreWorld.DeviceId, backupVolume = w.Snapshot, paths = new[] { "docs/sub" }, destination = dest });
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Accepted, body);
        string id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var job = w.Runtime.Jobs.Get(id);
        await job.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(job.State == JobState.Succeeded, RestoreWorld.LogOf(job.Snapshot()));
        Assert.Equal("deeper\n", File.ReadAllText(Path.Combine(dest, "docs", "sub", "deep.txt")));
        await app.StopAsync();
    }

    private static async Task ExpectAsync(HttpResponseMessage r, int status, string code)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"expected {status} {code}, got {(int)r.StatusCode}: {body}");
        var e = JsonSerializer.Deserialize<ErrorBody>(body, JsonSerializerOptions.Web)!;
        Assert.Equal(code, e.Error.Code);
        Assert.False(string.IsNullOrWhiteSpace(e.Error.Message));
    }
}
