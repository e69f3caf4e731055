using System.Net.Http.Headers;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Agent;

/// <summary>
/// HTTP client of an agent's control API (routes in AgentContracts.cs), used by the backup server. Sending,
/// errors and jobs are <see cref="ControlApiClient"/>'s; this class names the routes and streams volumes.
/// </summary>
public sealed class AgentClient : ControlApiClient
{
    private static readonly ControlApiPeer AgentPeer = new("agent", "agent",
        "check that 'snapcat agent serve' runs on that host and that the URL in the server configuration's agents section matches its control.listen address",
        "check the agent's token in the server configuration");

    private HttpClient? _streams;

    /// <param name="trust">How the peer's certificate is checked on https:// (pinned fingerprint or CA file); null: the system's trust store.</param>
    public AgentClient(Uri baseUrl, string token, TimeSpan? timeout = null, Snapcat.Core.Tls.PeerTrust? trust = null)
        : base(baseUrl, token, trust, AgentPeer, timeout ?? TimeSpan.FromSeconds(100))
    {
    }

    public AgentClient(HttpClient http, Uri baseUrl, string token, bool ownsHttp = false)
        : base(http, baseUrl, token, AgentPeer, ownsHttp)
    {
    }

    /// <summary>A cancelled server job must not leave a backup running on the host.</summary>
    protected override bool CancelJobWhenWaitIsCancelled => true;

    public Task<AgentInfo> GetAgentAsync(CancellationToken ct = default) =>
        SendAsync<AgentInfo>(HttpMethod.Get, "v1/agent", null, ct);

    /// <summary>FIG. 8: the copy-to volume list of a mount point, for the backup volume table (FIG. 4).</summary>
    public Task<CopyDestinationListDto> GetCopyDestinationsAsync(string mountPoint, CancellationToken ct = default) =>
        SendAsync<CopyDestinationListDto>(HttpMethod.Get, "v1/copy-destinations?mountPoint=" + Uri.EscapeDataString(mountPoint), null, ct);

    /// <summary>FIG. 10 / FIG. 18: the agent runs pre-process, copy or snapshot, post-process, and records the volume information.</summary>
    public Task<JobSnapshot> StartBackupAsync(BackupOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/backups", Body(order), ct);

    public Task<JobSnapshot> StartVolumeRestoreAsync(VolumeRestoreOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/volume-restores", Body(order), ct);

    public Task<JobSnapshot> StartFileRestoreAsync(FileRestoreOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/file-restores", Body(order), ct);

    public Task<JobSnapshot> StartBackupDeletionAsync(BackupDeletionOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/backup-deletions", Body(order), ct);

    /// <summary>
    /// Opens the agent's read stream of a volume (tape copy, FIG. 16 step 2431). Only the headers are awaited
    /// here; the body is read by the caller, on a client without a whole-request timeout (a volume stream
    /// lasts as long as the volume is large).
    /// </summary>
    public async Task<AgentVolumeStream> OpenVolumeStreamAsync(string deviceId, uint volume, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, StreamPath(deviceId, volume));
        HttpResponseMessage response;
        try
        {
            response = await Streams().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw Errors.Unreachable(ex);
        }
        finally
        {
            request.Dispose();
        }
        try
        {
            if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is not long size)
                throw new SnapcatException(ErrorKind.Remote, "agent.bad_response",
                    $"the agent at {BaseUrl} streamed volume {volume} of {deviceId} without a Content-Length; the size of the volume is unknown");
            var data = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new AgentVolumeStream(response, data, size);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Streams <paramref name="size"/> bytes into a volume through the agent (<c>PUT /v1/streams/volume</c>, tape
    /// restore). <paramref name="writeBody"/> writes the body; if it throws, the request is aborted before the body
    /// is complete, so the agent answers with an error instead of 204 and the volume is known incomplete.
    /// </summary>
    public async Task WriteVolumeStreamAsync(string deviceId, uint volume, long size, Func<Stream, CancellationToken, Task> writeBody, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, StreamPath(deviceId, volume)) { Content = new BodyWriter(writeBody, size, ct) };
        HttpResponseMessage response;
        try
        {
            response = await Streams().SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (Inner<SnapcatException>(ex) is { } inner)
        {
            // The body writer failed (checksum, short source): its error is the one to report.
            throw inner;
        }
        catch (HttpRequestException ex)
        {
            throw Errors.Unreachable(ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
        }
    }

    private static T? Inner<T>(Exception ex) where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
            if (e is T t) return t;
        return null;
    }

    private static string StreamPath(string deviceId, uint volume)
    {
        if (string.IsNullOrWhiteSpace(deviceId)) Throw.Invalid("stream.missing_device_id", "a volume stream needs the array's device ID");
        if (volume == 0) Throw.Invalid("stream.missing_volume", "a volume stream needs a volume number from 1");
        return $"v1/streams/volume?deviceId={Uri.EscapeDataString(deviceId)}&volume={volume}";
    }

    private HttpClient Streams()
    {
        if (_streams is { } s) return s;
        var c = CreateStreamingClient();
        return Interlocked.CompareExchange(ref _streams, c, null) is { } other ? DisposeAndUse(c, other) : c;
    }

    private static HttpClient DisposeAndUse(HttpClient loser, HttpClient winner)
    {
        loser.Dispose();
        return winner;
    }

    private sealed class BodyWriter : HttpContent
    {
        private readonly Func<Stream, CancellationToken, Task> write;
        private readonly long size;
        private readonly CancellationToken ct;

        public BodyWriter(Func<Stream, CancellationToken, Task> write, long size, CancellationToken ct)
        {
            this.write = write;
            this.size = size;
            this.ct = ct;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => write(stream, ct);
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) => write(stream, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return true;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _streams?.Dispose();
        base.Dispose(disposing);
    }
}
