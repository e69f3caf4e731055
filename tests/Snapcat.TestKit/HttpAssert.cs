using Xunit;
using System.Net;
using System.Text.Json;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Errors;

namespace Snapcat.TestKit;

/// <summary>Status and body checks for tests that send raw requests to a control API (to see the status code itself).</summary>
public static class HttpAssert
{
    /// <summary>The control APIs' JSON: camelCase, enums as names.</summary>
    public static JsonSerializerOptions Json => ControlApiClient.Json;

    /// <summary>Asserts the status and reads the body as <typeparamref name="T"/>.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage r, HttpStatusCode expect = HttpStatusCode.OK)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expect, $"{r.RequestMessage?.Method} {r.RequestMessage?.RequestUri}: expected {(int)expect}, got {(int)r.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    /// <summary>Asserts the status and that the body is an ErrorBody with a message; returns the error.</summary>
    public static async Task<ErrorDetail> ExpectErrorAsync(HttpResponseMessage r, int status)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"expected {status}, got {(int)r.StatusCode}: {body}");
        var e = JsonSerializer.Deserialize<ErrorBody>(body, Json);
        Assert.NotNull(e?.Error);
        Assert.False(string.IsNullOrWhiteSpace(e.Error.Message));
        return e.Error;
    }
}
