using System.Net;
using System.Net.Http.Headers;
using Snapcat.Contracts.Array;
using Snapcat.Core.Jobs;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// Array requests the tests send raw, to see the status code (the typed <see cref="ArrayNode.Client"/>
/// throws instead), and shortcuts for port A (data port 0), where these tests put their LUNs.
/// </summary>
internal static class ArrayRequests
{
    public static Task<HttpResponseMessage> AssignAsync(this ArrayNode a, uint number, string port, uint lun, bool readOnly = false) =>
        a.PostAsync($"/v1/volumes/{number}/assignments", new AssignRequest(port, lun, readOnly));

    /// <summary>Assigns on port A; a null <paramref name="readOnly"/> leaves the member out (the array's default).</summary>
    public static async Task AssignAsync(this ArrayNode a, uint number, uint lun, bool? readOnly)
    {
        object body = readOnly is bool ro ? new AssignRequest(a.DataPorts[0], lun, ro) : new { port = a.DataPorts[0], lun };
        await HttpAssert.ReadAsync<AssignmentDto>(await a.PostAsync($"/v1/volumes/{number}/assignments", body), HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> PutInfoAsync(this ArrayNode a, uint number, byte[] info)
    {
        var content = new ByteArrayContent(info);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return a.Http.PutAsync($"/v1/volumes/{number}/info", content);
    }

    public static async Task<MirrorDestinationDto> MirrorStateAsync(this ArrayNode a, uint primary, uint secondary) =>
        (await a.Client.ListMirrorsAsync(primary)).Single(m => m.Secondary == secondary);

    /// <summary>
    /// Orders a restore, retrying while the array still counts a writer that just disconnected (the
    /// server drops the count when it notices the closed connection).
    /// </summary>
    public static async Task<JobSnapshot> RestoreOnceWritersGoneAsync(this ArrayNode a, uint source)
    {
        JobSnapshot? job = null;
        await Poll.UntilAsync(async () =>
        {
            var r = await a.PostAsync("/v1/restores", new RestoreOrder(source));
            if (r.StatusCode == HttpStatusCode.Accepted)
            {
                job = await HttpAssert.ReadAsync<JobSnapshot>(r, HttpStatusCode.Accepted);
                return true;
            }
            Assert.Equal("restore.writers_connected", (await HttpAssert.ExpectErrorAsync(r, 409)).Code);
            return false;
        }, TimeSpan.FromSeconds(15), "the array to see the writer disconnect");
        return job!;
    }

    /// <summary>SIGTERM and wait: the daemon's clean stop must exit 0.</summary>
    public static async Task StopCleanlyAsync(this ArrayNode a) => Assert.Equal(0, await a.StopAsync(TimeSpan.FromSeconds(30)));
}
