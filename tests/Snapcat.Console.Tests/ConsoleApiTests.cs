using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Snapcat.Console.Tests;

/// <summary>
/// The console's server routes without a browser: what is open (the pages) and what is not (data, login without a
/// token), and the bad inputs of the search and cron routes, each a 400 with its own code.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleApiTests(ConsoleRig rig)
{
    [Fact]
    public async Task The_pages_are_open_with_a_strict_policy_and_everything_else_needs_a_token_or_a_session()
    {
        using var anonymous = new HttpClient(rig.Server.CreateHandler()) { BaseAddress = rig.Server.ControlUrl };
        var index = await anonymous.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Contains("default-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("Snapcat console", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/javascript; charset=utf-8", (await anonymous.GetAsync("/console/js/app.js")).Content.Headers.ContentType?.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/console/no-such-file.js")).StatusCode);
        var bare = await anonymous.GetAsync("/console");
        Assert.Equal("/console/", bare.RequestMessage?.RequestUri?.AbsolutePath);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/status")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/console/session", null)).StatusCode);
        // A made-up session cookie is no session.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/v1/status");
        forged.Headers.Add("Cookie", "snapcat_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var refused = await anonymous.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("console.session_expired", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_and_cron_answer_bad_input_with_a_400_naming_the_problem()
    {
        var http = rig.Server.Http;
        await AssertBadAsync(http, "/v1/backups/search?after=yesterday", "backup.bad_cursor");
        await AssertBadAsync(http, "/v1/backups/search?limit=0", "backup.bad_limit");
        await AssertBadAsync(http, "/v1/backups/search?limit=501", "backup.bad_limit");
        await AssertBadAsync(http, "/v1/backups/search?from=soon", "backup.bad_time");
        await AssertBadAsync(http, "/v1/cron/next?expression=61+*+*+*+*", "schedule.bad_cron");
        await AssertBadAsync(http, "/v1/cron/next", "schedule.bad_cron");
        await AssertBadAsync(http, "/v1/cron/next?expression=0+2+*+*+*&timeZone=Mars/Olympus", "schedule.bad_zone");
        await AssertBadAsync(http, "/v1/backups/0/provenance", "backup.bad_id");

        var cron = await http.GetFromJsonAsync<JsonElement>("/v1/cron/next?expression=*/10+*+*+*+*+*&timeZone=Europe/Berlin");
        Assert.Equal(5, cron.GetProperty("next").GetArrayLength());
        Assert.True(cron.GetProperty("tooFrequent").GetBoolean());   // every 10 s, under the 60 s minimum
        Assert.Equal(10, cron.GetProperty("shortestIntervalSeconds").GetDouble());

        // Page by page with the cursor: every backup once, newest first.
        var ids = new List<long>();
        string? after = null;
        do
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/v1/backups/search?limit=1{(after is null ? "" : "&after=" + after)}");
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetInt64()));
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        }
        while (after is not null);
        var all = await rig.Admin.SearchBackupsAsync(new Snapcat.Contracts.Server.BackupDataFilter());
        Assert.Equal(all.Select(b => b.Id), ids);
    }

    private static async Task AssertBadAsync(HttpClient http, string path, string code)
    {
        var r = await http.GetAsync(path);
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)r.StatusCode} {body}");
        Assert.Contains($"\"{code}\"", body, StringComparison.Ordinal);
    }
}
