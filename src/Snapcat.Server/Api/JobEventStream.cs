using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Core.Json;
using Snapcat.Server.Jobs;

namespace Snapcat.Server.Api;

/// <summary>
/// <c>GET /v1/jobs/{id}/events</c>: a job as a server-sent event stream (text/event-stream). Each
/// event's data is the job's JobSnapshot JSON; one is sent at once, then one whenever progress, state or
/// the log changed, and the stream ends after the final state. A finished job gives one event.
/// Clients that cannot read streams poll <c>GET /v1/jobs/{id}</c> instead.
/// </summary>
public static class JobEventStream
{
    /// <summary>How often a running job is looked at; changes are sent at most this often.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public static void MapJobEventStream(this IEndpointRouteBuilder app, ServerJobs jobs)
    {
        app.MapGet("/v1/jobs/{id}/events", async (string id, HttpContext http, CancellationToken ct) =>
        {
            var first = await jobs.GetAsync(id, ct).ConfigureAwait(false);   // unknown job: 404 through the error middleware
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            string? last = null;
            var snapshot = first;
            while (true)
            {
                string json = JsonSerializer.Serialize(snapshot, SnapcatJson.Web);
                if (json != last)
                {
                    await http.Response.WriteAsync($"event: job\ndata: {json}\n\n", ct).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    last = json;
                }
                if (snapshot.State.IsFinal()) return;
                await Task.Delay(Interval, ct).ConfigureAwait(false);
                snapshot = jobs.TryGetLive(id)?.Snapshot() ?? await jobs.GetAsync(id, ct).ConfigureAwait(false);
            }
        }).RequireRole(CredentialRole.ReadOnly);
    }
}
