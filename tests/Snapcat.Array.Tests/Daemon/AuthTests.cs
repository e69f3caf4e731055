using System.Net;
using System.Net.Http.Headers;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

public sealed class AuthTests(ArrayDaemonFixture fx) : IClassFixture<ArrayDaemonFixture>
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("test-token-7f3")]       // a prefix of the real one
    [InlineData("test-token-7f3ax")]     // the real one plus a byte
    public async Task Requests_without_the_right_token_get_401(string? token)
    {
        using var http = new HttpClient(fx.Array.CreateHandler()) { BaseAddress = fx.Array.Http.BaseAddress };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (string path in new[] { "/v1/array", "/v1/volumes", "/v1/volume-infos" })
        {
            var r = await http.GetAsync(path);
            var e = await HttpAssert.ExpectErrorAsync(r, 401);
            Assert.StartsWith("auth.", e.Code);
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
        }
        var post = await http.PostAsync("/v1/volumes", new StringContent("{\"size\":\"1M\"}", System.Text.Encoding.UTF8, "application/json"));
        await HttpAssert.ExpectErrorAsync(post, 401);
    }

    [Fact]
    public async Task Openapi_document_is_open_and_lists_the_routes()
    {
        using var http = new HttpClient(fx.Array.CreateHandler()) { BaseAddress = fx.Array.Http.BaseAddress };
        var r = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        string doc = await r.Content.ReadAsStringAsync();
        foreach (string route in new[] { "/v1/array", "/v1/volumes", "/v1/volumes/{number}/info", "/v1/ports/{port}/luns/{lun}", "/v1/volume-infos" })
            Assert.Contains($"\"{route}\"", doc);
    }
}
