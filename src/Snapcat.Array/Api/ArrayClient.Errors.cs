using Snapcat.Core.Http;

namespace Snapcat.Array.Api;

// How ArrayClient turns transport failures and error responses into SnapcatException (shared rules in
// Snapcat.Core.Http.ControlApiErrors).
public sealed partial class ArrayClient
{
    private ControlApiErrors Errors => _errors ??= new ControlApiErrors("array", BaseUrl,
        "check that 'snapcat array serve' is running and that the URL matches the control.listen address of its configuration",
        "check the token");

    private ControlApiErrors? _errors;

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
                throw Errors.Unreachable(ex);
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                throw Errors.Timeout(request, _http.Timeout, ex);
            }
        }
    }

    private Task<Snapcat.Core.Errors.SnapcatException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct) =>
        Errors.FromResponseAsync(response, ct);
}
