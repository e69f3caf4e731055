using System.Net;
using System.Text.Json.Nodes;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// The array's <c>/healthz</c> (docs/metrics.md) on a real daemon: open without a token, ok with its two checks, and
/// failing with 503 once its data directory is gone under it (a lost mount), while the read-only credential still
/// scrapes <c>/metrics</c>.
/// </summary>
public sealed class ArrayHealthTests
{
    [Fact]
    public async Task Healthz_is_ok_without_a_token_and_failing_with_503_when_the_data_directory_is_gone()
    {
        await using var sys = new SnapcatSystem("array-health");
        var array = await sys.StartArrayAsync("ARRAY-HLT", configure: a => a.WithCredential("monitor", "read-only"));
        using var anonymous = new HttpClient(array.CreateHttpHandler()) { BaseAddress = array.ControlUrl };

        var ok = await GetHealthAsync(anonymous, HttpStatusCode.OK);
        Assert.Equal("ok", (string?)ok["status"]);
        Assert.Equal("ok", (string?)ok["checks"]!["data_directory"]!["status"]);
        Assert.Equal("ok", (string?)ok["checks"]!["management_table"]!["status"]);
        using (var metrics = await array.HttpAs("monitor").GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);

        Directory.Delete(array.DataPath, recursive: true);

        var failing = await GetHealthAsync(anonymous, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("failing", (string?)failing["status"]);
        Assert.Equal("failing", (string?)failing["checks"]!["data_directory"]!["status"]);
        Assert.DoesNotContain(array.DataPath, failing.ToJsonString(), StringComparison.Ordinal);
    }

    private static async Task<JsonNode> GetHealthAsync(HttpClient http, HttpStatusCode expected)
    {
        using var r = await http.GetAsync("/healthz");
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"/healthz answered {(int)r.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }
}
