using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Server;

/// <summary>
/// Reads <c>GET /v1/jobs/{id}/events</c> (the server's JobEventStream): text/event-stream whose every event's data is
/// the job's whole JobSnapshot, log included, so a client that reconnects needs no Last-Event-ID — it compares log
/// lengths. Grammar (WHATWG HTML, "server-sent events"): lines <c>field: value</c>, an empty line ends an event,
/// <c>data</c> lines join with a newline, lines starting with ':' are comments.
/// A stream that breaks or ends before the job's final state is <c>job.events_dropped</c>, so the caller can reconnect.
/// </summary>
internal static class JobEventReader
{
    public const string Dropped = ServerClient.JobEventsDropped;

    public static async IAsyncEnumerable<JobSnapshot> ReadAsync(HttpClient http, ControlApiErrors errors, string id,
        [EnumeratorCancellation] CancellationToken ct)
    {
        string path = "v1/jobs/" + Uri.EscapeDataString(id) + "/events";
        HttpResponseMessage response;
        using (var request = new HttpRequestMessage(HttpMethod.Get, path))
        {
            request.Headers.Accept.ParseAdd("text/event-stream");
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                // Dropped, not unreachable: the caller asks GET /v1/jobs/{id} next, which says whether the server is there.
                throw new SnapcatException(ErrorKind.Remote, Dropped, $"the event stream of job {id} broke before it began: {errors.Unreachable(ex).Message}", ex);
            }
        }
        using var responseLifetime = response;
        if (!response.IsSuccessStatusCode) throw await errors.FromResponseAsync(response, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var bodyLifetime = body.ConfigureAwait(false);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var data = new StringBuilder();
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new SnapcatException(ErrorKind.Remote, Dropped, $"the event stream of job {id} broke: {ex.Message}", ex);
            }
            if (line is null)
                throw new SnapcatException(ErrorKind.Remote, Dropped, $"the event stream of job {id} ended before the job did");
            if (line.Length == 0)
            {
                if (data.Length == 0) continue;
                JobSnapshot? snapshot;
                try
                {
                    snapshot = JsonSerializer.Deserialize<JobSnapshot>(data.ToString(), ControlApiClient.Json);
                }
                catch (JsonException ex)
                {
                    throw new SnapcatException(ErrorKind.Remote, "server.bad_response", $"an event of job {id} is not a job snapshot: {ex.Message}", ex);
                }
                data.Clear();
                if (snapshot is null) continue;
                yield return snapshot;
                if (snapshot.State.IsFinal()) yield break;
                continue;
            }
            if (line.StartsWith(':')) continue;
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0) data.Append('\n');
                data.Append(line.AsSpan(line.Length > 5 && line[5] == ' ' ? 6 : 5));
            }
        }
    }
}
