using System.Text.Json;
using Snapcat.Cli.Commands;
using Snapcat.Core.VolumeInformation;
using Snapcat.TestKit;
using Snapcat.Contracts.Array;
using Reply = Snapcat.Array.Tests.Cli.FakeArrayServer.Reply;

namespace Snapcat.Array.Tests.Cli;

/// <summary>What scripts read from <c>--output json</c>, and what people see in tables.</summary>
public class CliOutputTests
{
    private static readonly VolumeInfoRecord Record = new()
    {
        Label = "nightly-db",
        Host = "db01",
        MountPoint = "/var/lib/db",
        Timestamp = VolumeInfoRecord.TruncateToMicros(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero)),
        Kind = BackupKind.Mirror,
        SourceDeviceId = "ARRAY-01",
        SourceVolume = 1,
        BackupId = Guid.Parse("6f1c3d2e-0000-4000-8000-000000000001"),
    };

    private static readonly string RecordBase64 = Convert.ToBase64String(Record.Encode());

    private static VolumeDto Volume(uint n, string? info) => new(n, 512L << 20, 12288, "volume", null,
        new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), [new AssignmentDto("127.0.0.1:10809", n, false)], [], [], info is not null, info);

    private static FakeArrayServer Array() => new(r => (r.Method, r.RawPath) switch
    {
        ("GET", "/v1/array") => Reply.Json(200, new ArrayInfo("ARRAY-01", "0.1.0", [new DataPortDto("127.0.0.1:10809")], 2)),
        ("GET", "/v1/volumes?info=true") => Reply.Json(200, new[] { Volume(1, null), Volume(2, RecordBase64) }),
        ("GET", "/v1/volumes/2") => Reply.Json(200, Volume(2, RecordBase64)),
        ("GET", "/v1/volumes/2/info") => Reply.Bytes(Record.Encode()),
        ("GET", "/v1/volume-infos") => Reply.Json(200, new VolumeInfoListing("ARRAY-01",
            [new VolumeInfoEntry(1, 512L << 20, "volume", null), new VolumeInfoEntry(2, 512L << 20, "volume", RecordBase64),
             new VolumeInfoEntry(3, 512L << 20, "volume", Convert.ToBase64String(new byte[512]))])),
        ("POST", "/v1/volumes") => Reply.Error(409, "volume.limit", "the array holds its maximum number of volumes"),
        _ => Reply.Error(404, "route.not_found", r.RawPath),
    });

    private static async Task<JsonElement> JsonOf(FakeArrayServer s, params string[] args)
    {
        var r = await CliRun.RunAsync([.. args, "--output", "json", "--url", s.Url, "--token", "t"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Fact]
    public async Task Assign_allow_is_repeatable_reaches_the_request_and_is_shown()
    {
        using var s = new FakeArrayServer(r => (r.Method, r.RawPath) switch
        {
            ("POST", "/v1/volumes/3/assignments") => Reply.Json(201, new AssignmentDto("127.0.0.1:10809", 4, false,
                JsonDocument.Parse(r.Body).RootElement.TryGetProperty("allowedIdentities", out var ids) && ids.ValueKind == JsonValueKind.Array
                    ? ids.EnumerateArray().Select(e => e.GetString()!).ToList()
                    : null)),
            _ => Reply.Error(404, "route.not_found", r.RawPath),
        });
        var r = await CliRun.RunAsync("array", "assign", "3", "--port", "127.0.0.1:10809", "--lun", "4",
            "--allow", "host-a", "--allow", "CN=host-b, O=[site]", "--url", s.Url, "--token", "t");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var body = JsonDocument.Parse(s.Requests.Single().Body).RootElement;
        Assert.Equal(["host-a", "CN=host-b, O=[site]"], body.GetProperty("allowedIdentities").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("(only host-a, CN=host-b, O=[site])", string.Join(' ', r.Stdout.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)));

        // Without --allow the LUN is unmasked: no identities are sent.
        var plain = await CliRun.RunAsync("array", "assign", "3", "--port", "127.0.0.1:10809", "--lun", "5", "--url", s.Url, "--token", "t");
        var second = JsonDocument.Parse(s.Requests.Last().Body).RootElement;
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.True(!second.TryGetProperty("allowedIdentities", out var none) || none.ValueKind == JsonValueKind.Null);
        Assert.DoesNotContain("only", plain.Stdout);
    }

    [Fact]
    public async Task Volume_list_json_is_the_arrays_volume_records()
    {
        using var s = Array();
        var json = await JsonOf(s, "array", "volume", "list");
        Assert.Equal(JsonValueKind.Array, json.ValueKind);
        Assert.Equal(2, json.GetArrayLength());
        var v2 = json[1];
        Assert.Equal(2u, v2.GetProperty("number").GetUInt32());
        Assert.Equal(512L << 20, v2.GetProperty("size").GetInt64());
        Assert.Equal(12288, v2.GetProperty("allocatedBytes").GetInt64());
        Assert.Equal("127.0.0.1:10809", v2.GetProperty("assignments")[0].GetProperty("port").GetString());
        Assert.True(v2.GetProperty("hasVolumeInfo").GetBoolean());
    }

    [Fact]
    public async Task Volume_show_json_has_the_volume_and_its_decoded_information()
    {
        using var s = Array();
        var json = await JsonOf(s, "array", "volume", "show", "2");
        Assert.Equal(2u, json.GetProperty("volume").GetProperty("number").GetUInt32());
        var info = json.GetProperty("info");
        Assert.True(info.GetProperty("present").GetBoolean());
        Assert.True(info.GetProperty("valid").GetBoolean());
        Assert.Equal("nightly-db", info.GetProperty("label").GetString());
        Assert.Equal("/var/lib/db", info.GetProperty("mountPoint").GetString());
        Assert.Equal("mirror", info.GetProperty("kind").GetString());
        Assert.Equal(Record.Timestamp, info.GetProperty("timestamp").GetDateTimeOffset());
    }

    [Fact]
    public async Task Infos_json_decodes_each_record_and_explains_an_invalid_one()
    {
        using var s = Array();
        var json = await JsonOf(s, "array", "infos");
        Assert.Equal("ARRAY-01", json.GetProperty("deviceId").GetString());
        var vols = json.GetProperty("volumes");
        Assert.False(vols[0].GetProperty("info").GetProperty("present").GetBoolean());
        Assert.Equal("db01", vols[1].GetProperty("info").GetProperty("host").GetString());
        Assert.Equal(RecordBase64, vols[1].GetProperty("raw").GetString());
        var bad = vols[2].GetProperty("info");
        Assert.True(bad.GetProperty("present").GetBoolean());
        Assert.False(bad.GetProperty("valid").GetBoolean());
        Assert.Contains("format ID", bad.GetProperty("invalid").GetString());
    }

    [Fact]
    public async Task Array_info_json_and_table()
    {
        using var s = Array();
        var json = await JsonOf(s, "array", "info");
        Assert.Equal("ARRAY-01", json.GetProperty("deviceId").GetString());
        Assert.Equal("127.0.0.1:10809", json.GetProperty("dataPorts")[0].GetProperty("address").GetString());

        var table = await CliRun.RunAsync("array", "info", "--url", s.Url, "--token", "t");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("ARRAY-01", table.Stdout);
        Assert.Contains("127.0.0.1:10809", table.Stdout);
    }

    [Fact]
    public async Task Volume_list_table_shows_human_sizes_and_the_label()
    {
        using var s = Array();
        var r = await CliRun.RunAsync("array", "volume", "list", "--url", s.Url, "--token", "t");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("512 MiB", r.Stdout);
        Assert.Contains("12 KiB", r.Stdout);
        Assert.Contains("nightly-db", r.Stdout);
    }

    [Fact]
    public async Task Info_get_saves_the_raw_record_and_decodes_it()
    {
        using var s = Array();
        using var dir = new TempDir("cli");
        string file = dir.Combine("info.bin");
        var r = await CliRun.RunAsync("array", "info", "get", "2", "--file", file, "--decode", "--url", s.Url, "--token", "t");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Record.Encode(), await File.ReadAllBytesAsync(file));
        Assert.Contains("nightly-db", r.Stdout);
        Assert.Contains("ARRAY-01", r.Stdout);
    }

    [Fact]
    public async Task Errors_go_to_stderr_with_code_and_exit_1_even_in_json_mode()
    {
        using var s = Array();
        var r = await CliRun.RunAsync("array", "volume", "create", "--size", "1G", "--output", "json", "--url", s.Url, "--token", "t");
        Assert.Equal(SnapcatCommand.ExitError, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal("error: the array holds its maximum number of volumes (volume.limit)", r.Stderr.Trim());
    }

    [Fact]
    public async Task The_connection_can_come_from_the_arrays_own_configuration()
    {
        using var s = Array();
        using var dir = new TempDir("cli");
        int port = new Uri(s.Url).Port;
        await File.WriteAllTextAsync(dir.Combine("array.token"), "from-file\n");
        // A wildcard listen address is reached on loopback; a relative tokenFile is beside the config.
        await File.WriteAllTextAsync(dir.Combine("array.json"), $$"""
            {
              // comments are skipped
              "deviceId": "ARRAY-01",
              "dataDirectory": "data",
              "control": { "insecure": true, "listen": "0.0.0.0:{{port}}", "tokenFile": "array.token" },
              "dataPorts": [ { "listen": "127.0.0.1:10809" } ]
            }
            """);
        var r = await CliRun.RunAsync("array", "info", "--config", dir.Combine("array.json"), "--output", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("Bearer from-file", s.Requests.Single().Authorization);
    }

    [Fact]
    public async Task A_configuration_the_array_would_refuse_is_refused_with_the_arrays_own_words()
    {
        using var dir = new TempDir("cli");
        string path = dir.Combine("array.json");
        await File.WriteAllTextAsync(path, """
            { "deviceId": "bad id", "dataDirectory": "data", "control": { "insecure": true, "listen": "127.0.0.1:1", "tokenFile": "none" }, "dataPorts": [] }
            """);
        var r = await CliRun.RunAsync("array", "info", "--config", path);
        Assert.Equal(SnapcatCommand.ExitError, r.ExitCode);
        Assert.Contains($"configuration {path} has 3 problem(s)", r.Stderr);
        Assert.Contains("control.tokenFile " + dir.Combine("none") + " cannot be read: it does not exist", r.Stderr);
        Assert.Contains("(config.invalid)", r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
