using System.Net.Sockets;
using System.Text.Json;
using Snapcat.Core.Errors;

namespace Snapcat.ControlApi.Client;

/// <summary>
/// How the HTTP clients of Snapcat's control APIs (array, agent, backup server) turn transport failures and error
/// responses into <see cref="SnapcatException"/>: the remote <see cref="ErrorBody"/> keeps its code and
/// message; anything else (a proxy's page, an empty 401) becomes <c>http.STATUS</c>; an unreachable
/// peer becomes <c>SERVICE.unreachable</c> with the caller's hint on what to check.
/// </summary>
/// <param name="service">The peer's name in messages: "array", "agent", "backup server".</param>
/// <param name="code">The peer's name at the start of error codes: "array", "agent", "server".</param>
/// <param name="unreachableHint">What to check when the peer cannot be reached.</param>
/// <param name="tokenHint">What to check on a 401 without an error body.</param>
public sealed class ControlApiErrors(string service, string code, Uri baseUrl, string unreachableHint, string tokenHint)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public SnapcatException Unreachable(HttpRequestException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        // A refused certificate (PeerCertificateCheck) is thrown from inside the handshake: its message is the one to show.
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
            if (e is SnapcatException refused) return refused;
        string why = ex.InnerException is SocketException se ? se.Message : ex.Message;
        // The two mix-ups of http and https look like a peer that dropped the connection (a daemon killed mid-request
        // looks the same), so the code stays "unreachable" and the message names the likely cause.
        if (baseUrl.Scheme == Uri.UriSchemeHttp && ex.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
            return new SnapcatException(ErrorKind.Remote, $"{code}.unreachable",
                $"the {service} at {baseUrl} closed the connection without an HTTP answer ({why}); if it serves HTTPS (every control API " +
                $"does unless configured \"insecure\": true), use https://{baseUrl.Authority}{baseUrl.AbsolutePath} and its fingerprint or CA file", ex);
        if (baseUrl.Scheme == Uri.UriSchemeHttps && ex.HttpRequestError == HttpRequestError.SecureConnectionError)
            return new SnapcatException(ErrorKind.Remote, $"{code}.unreachable",
                $"no TLS connection to the {service} at {baseUrl} ({Innermost(ex)}); if the {service} is configured \"insecure\": true " +
                $"(plain HTTP), use http://{baseUrl.Authority}{baseUrl.AbsolutePath}", ex);
        return new SnapcatException(ErrorKind.Remote, $"{code}.unreachable",
            $"could not reach the {service} at {baseUrl} ({why}); {unreachableHint}", ex);
    }

    private static string Innermost(Exception ex)
    {
        var e = ex;
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }

    /// <summary>HttpClient reports its own timeout as a cancellation the caller did not ask for.</summary>
    public SnapcatException Timeout(HttpRequestMessage request, TimeSpan timeout, Exception ex) =>
        new(ErrorKind.Remote, $"{code}.timeout",
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
