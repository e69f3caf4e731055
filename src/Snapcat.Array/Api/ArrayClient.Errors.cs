using System.Net.Sockets;
using System.Text.Json;
using Snapcat.Core.Errors;

namespace Snapcat.Array.Api;

// How ArrayClient turns transport failures and error responses into SnapcatException.
public sealed partial class ArrayClient
{
    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            try
            {
                return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            }
            catch (HttpRequestException ex)
            {
                throw Unreachable(ex);
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                // HttpClient reports its own timeout as a cancellation the caller did not ask for.
                throw new SnapcatException(ErrorKind.Remote, "array.timeout",
                    $"the array at {BaseUrl} did not answer {request.Method} /{request.RequestUri} within {_http.Timeout.TotalSeconds:0} s; " +
                    "check that the array daemon is healthy and not overloaded", ex);
            }
        }
    }

    private SnapcatException Unreachable(HttpRequestException ex)
    {
        string why = ex.InnerException is SocketException se ? se.Message : ex.Message;
        return new SnapcatException(ErrorKind.Remote, "array.unreachable",
            $"could not reach the array at {BaseUrl} ({why}); check that 'snapcat array serve' is running " +
            "and that the URL matches the control.listen address of its configuration", ex);
    }

    /// <summary>
    /// Reads an error response. A Snapcat server always sends <see cref="ErrorBody"/>; anything else
    /// (a proxy's HTML page, an empty 401) still becomes a typed error named after the status.
    /// </summary>
    private async Task<SnapcatException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        int status = (int)response.StatusCode;
        var kind = ErrorKindHttp.FromStatusCode(status);
        string body = "";
        try
        {
            body = await response.Content.ReadAsStringAsync(ct);
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
        string hint = status == 401 ? "; check the token" : "";
        return new SnapcatException(kind, $"http.{status}",
            $"the array at {BaseUrl} answered {request} with HTTP {status} {response.ReasonPhrase} ({detail}){hint}");
    }
}
