using System.Text.Json;
using Snapcat.Core.Errors;
using Snapcat.TestKit;
using Snapcat.Contracts.Array;
using Reply = Snapcat.Array.Tests.Cli.FakeArrayServer.Reply;

namespace Snapcat.Array.Tests.Cli;

public class ArrayClientTests
{
    private static ArrayClient Client(FakeArrayServer s, string token = "tok-1") => new(new Uri(s.Url), token, TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(404, "volume.not_found", "volume 7 does not exist", ErrorKind.NotFound)]
    [InlineData(409, "volume.in_use", "volume 7 is assigned to 127.0.0.1:10809 LUN 1; release it or use --force", ErrorKind.Conflict)]
    [InlineData(401, "auth.token", "missing or wrong bearer token", ErrorKind.Unauthorized)]
    [InlineData(400, "size.invalid", "size '12Q' has an unknown unit", ErrorKind.Invalid)]
    public async Task Error_bodies_become_exceptions_with_the_servers_code_and_message(int status, string code, string message, ErrorKind kind)
    {
        using var server = new FakeArrayServer(_ => Reply.Error(status, code, message));
        using var client = Client(server);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.DeleteVolumeAsync(7));
        Assert.Equal(kind, ex.Kind);
        Assert.Equal(code, ex.Code);
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public async Task A_body_that_is_not_an_error_body_still_gives_a_typed_error_naming_the_status()
    {
        using var server = new FakeArrayServer(_ => Reply.Text(502, "<html>Bad Gateway</html>"));
        using var client = Client(server);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.GetArrayAsync());
        Assert.Equal(ErrorKind.Remote, ex.Kind);
        Assert.Equal("http.502", ex.Code);
        Assert.Contains("GET /v1/array", ex.Message);
        Assert.Contains("Bad Gateway", ex.Message);
    }

    [Fact]
    public async Task An_empty_401_hints_at_the_token()
    {
        using var server = new FakeArrayServer(_ => Reply.Empty(401));
        using var client = Client(server);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.ListVolumesAsync());
        Assert.Equal(ErrorKind.Unauthorized, ex.Kind);
        Assert.Equal("http.401", ex.Code);
        Assert.Contains("check the token", ex.Message);
    }

    [Fact]
    public async Task A_refused_connection_is_a_remote_error_naming_the_url()
    {
        int port = FreePort.Next();
        using var client = new ArrayClient(new Uri($"http://127.0.0.1:{port}"), "t");
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.GetArrayAsync());
        Assert.Equal(ErrorKind.Remote, ex.Kind);
        Assert.Equal("array.unreachable", ex.Code);
        Assert.Contains($"http://127.0.0.1:{port}/", ex.Message);
        Assert.Contains("snapcat array serve", ex.Message);
    }

    [Fact]
    public async Task A_success_body_of_the_wrong_shape_is_a_remote_error()
    {
        using var server = new FakeArrayServer(_ => new Reply(200, "[1,2"u8.ToArray(), "application/json"));
        using var client = Client(server);
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.GetVolumeAsync(1));
        Assert.Equal("array.bad_response", ex.Code);
    }

    [Fact]
    public async Task Volume_info_get_is_null_only_for_volume_info_not_found()
    {
        using var server = new FakeArrayServer(r => r.RawPath switch
        {
            "/v1/volumes/1/info" => Reply.Error(404, "volume_info.not_found", "volume 1 has no volume information"),
            "/v1/volumes/2/info" => Reply.Error(404, "volume.not_found", "volume 2 does not exist"),
            "/v1/volumes/3/info" => Reply.Bytes(Enumerable.Range(0, 512).Select(i => (byte)i).ToArray()),
            _ => Reply.Empty(500),
        });
        using var client = Client(server);
        Assert.Null(await client.GetVolumeInfoAsync(1));
        var ex = await Assert.ThrowsAsync<SnapcatException>(() => client.GetVolumeInfoAsync(2));
        Assert.Equal("volume.not_found", ex.Code);
        byte[]? three = await client.GetVolumeInfoAsync(3);
        Assert.NotNull(three);
        Assert.Equal(512, three.Length);
        Assert.Equal(255, three[255]);
    }

    [Fact]
    public async Task Requests_carry_the_token_the_routes_and_the_bodies_of_the_contract()
    {
        var volume = new VolumeDto(4, 64 << 20, 0, "volume", null, DateTimeOffset.UnixEpoch, [], [], [], false, null);
        using var server = new FakeArrayServer(r => (r.Method, r.RawPath) switch
        {
            ("POST", "/v1/volumes") => Reply.Json(201, volume),
            ("POST", "/v1/volumes/4/assignments") => Reply.Json(201, new AssignmentDto("[::1]:10809", 2, true)),
            ("GET", "/v1/ports/%5B%3A%3A1%5D%3A10809/luns/2") => Reply.Json(200, new LunDto("[::1]:10809", 2, true, 4, "A1")),
            ("DELETE", "/v1/ports/%5B%3A%3A1%5D%3A10809/luns/2") => Reply.Empty(204),
            ("DELETE", "/v1/volumes/4?force=true") => Reply.Empty(204),
            ("PUT", "/v1/volumes/4/info") => Reply.Empty(204),
            ("DELETE", "/v1/volumes/4/info") => Reply.Empty(204),
            ("GET", "/v1/volumes?info=true") => Reply.Json(200, new[] { volume }),
            ("GET", "/v1/volume-infos") => Reply.Json(200, new VolumeInfoListing("A1", [new VolumeInfoEntry(4, 64 << 20, "volume", null)])),
            _ => Reply.Error(404, "route.not_found", $"{r.Method} {r.RawPath}"),
        });
        using var client = Client(server, "s3cret");

        Assert.Equal(4u, (await client.CreateVolumeAsync("64M")).Number);
        var a = await client.AssignAsync(4, "[::1]:10809", 2, readOnly: true);
        Assert.True(a.ReadOnly);
        Assert.Equal(4u, (await client.GetLunAsync("[::1]:10809", 2)).Volume);
        await client.ReleaseAsync("[::1]:10809", 2);
        await client.PutVolumeInfoAsync(4, new byte[512]);
        await client.DeleteVolumeInfoAsync(4);
        Assert.Single(await client.ListVolumesAsync(includeInfo: true));
        Assert.Equal("A1", (await client.ListVolumeInfosAsync()).DeviceId);
        await client.DeleteVolumeAsync(4, force: true);

        var requests = server.Requests.ToArray();
        Assert.Equal(9, requests.Length);
        Assert.All(requests, r => Assert.Equal("Bearer s3cret", r.Authorization));
        var create = JsonDocument.Parse(requests[0].Body).RootElement;
        Assert.Equal("64M", create.GetProperty("size").GetString());
        var assign = JsonDocument.Parse(requests[1].Body).RootElement;
        Assert.Equal("[::1]:10809", assign.GetProperty("port").GetString());
        Assert.Equal(2, assign.GetProperty("lun").GetInt32());
        Assert.True(assign.GetProperty("readOnly").GetBoolean());
        Assert.Equal(512, requests.Single(r => r.Method == "PUT").Body.Length);
    }

    [Fact]
    public void A_client_without_a_token_is_refused_up_front()
    {
        var ex = Assert.Throws<SnapcatException>(() => new ArrayClient(new Uri("http://127.0.0.1:1"), ""));
        Assert.Equal("array.token_missing", ex.Code);
    }

}
