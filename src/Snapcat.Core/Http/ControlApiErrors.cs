using System.Net.Sockets;
using System.Text.Json;
using Snapcat.Core.Errors;

namespace Snapcat.Core.Http;

/// <summary>
/// How the HTTP clients of Snapcat's control APIs (array, agent) turn transport failures and error
/// responses into <see cref="SnapcatException"/>: the remote <see cref="ErrorBody"/> keeps its code and
/// message; anything else (a proxy's page, an empty 401) becomes <c>http.STATUS</c>; an unreachable
/// peer becomes <c>SERVICE.unreachable</c> with the caller's hint on what to check.
/// </summary>
/// <param name="service">The peer's name in codes and messages: "array" or "agent".</param>
/// <param name="unreachableHint">What to check when the peer cannot be reached.</param>
/// <param name="tokenHint">What to check on a 401 without an error body.</param>
public sealed class ControlApiErrors(string service, Uri baseUrl, string unreachableHint, string tokenHint)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public SnapcatException Unreachable(HttpRequestException ex)
    {
        string why = ex.InnerException is SocketException se ? se.Message : ex.Message;
        return new SnapcatException(ErrorKind.Remote, $"{service}.unreachable",
            $"could not reach the {service} at {baseUrl} ({why}); {unreachableHint}", ex);
    }

    /// <summary>HttpClient reports its own timeout as a cancellation the caller did not ask for.</summary>
    public SnapcatException Timeout(HttpRequestMessage request, TimeSpan timeout, Exception ex) =>
        new(ErrorKind.Remote, $"{service}.timeout",
            $"the {service} at {baseUrl} did not answer {request.Method} /{request.RequestUri} within {timeout.TotalSeconds:0} s; " +
            $"check that the {service} daemon is healthy and not overloaded", ex);

    public async Task<SnapcatException> FromResponseAsync(HttpResponseMessage response, CancellationToken ct)
    {
        int status = (int)response.StatusCode;
        var kind = ErrorKindHttp.FromStatusCode(status);
        string body = "";
        try
        {
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var error = JsonSerializer.Deserialize<ErrorBody>(body, Json)?.Error;
            if (error is { Code.Length: > 0, Message: not null })
                return new SnapcatException(kind, error.Code, error.Message);
        }
        catch (JsonException) { }
        catch (HttpRequestException ex)
        {
            return Unreachable(ex);
        }
        string request = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}";
        string detail = body.Length == 0 ? "no body" : "body: " + (body.Length > 200 ? body[..200] + "…" : body);
        string hint = status == 401 ? "; " + tokenHint : "";
        return new SnapcatException(kind, $"http.{status}",
            $"the {service} at {baseUrl} answered {request} with HTTP {status} {response.ReasonPhrase} ({detail}){hint}");
    }
}
