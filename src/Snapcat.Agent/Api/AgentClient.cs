using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Snapcat.Core.Errors;
using Snapcat.Core.Http;
using Snapcat.Core.Jobs;

namespace Snapcat.Agent.Api;

/// <summary>
/// HTTP client of an agent's control API (routes in AgentContracts.cs), used by the backup server.
/// Every failure is a <see cref="SnapcatException"/>: the agent's own code and message for an error
/// response, kind Remote naming the URL when the agent cannot be reached or answers nonsense.
/// </summary>
public sealed class AgentClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static readonly TimeSpan DefaultJobPollInterval = TimeSpan.FromMilliseconds(200);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _token;
    private HttpClient? _streams;

    public AgentClient(Uri baseUrl, string token, TimeSpan? timeout = null)
        : this(new HttpClient(), baseUrl, token, ownsHttp: true)
    {
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(100);
    }

    public AgentClient(HttpClient http, Uri baseUrl, string token, bool ownsHttp = false)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (string.IsNullOrEmpty(token))
            Throw.Invalid("agent.token_missing", $"no token given for the agent at {baseUrl}; every agent API call needs its bearer token");
        _http = http;
        _ownsHttp = ownsHttp;
        _token = token;
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _http.BaseAddress = BaseUrl;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri BaseUrl { get; }

    public Task<AgentInfo> GetAgentAsync(CancellationToken ct = default) =>
        SendAsync<AgentInfo>(HttpMethod.Get, "v1/agent", null, ct);

    /// <summary>FIG. 8: the copy-to volume list of a mount point, for the backup volume table (FIG. 4).</summary>
    public Task<CopyDestinationListDto> GetCopyDestinationsAsync(string mountPoint, CancellationToken ct = default) =>
        SendAsync<CopyDestinationListDto>(HttpMethod.Get, "v1/copy-destinations?mountPoint=" + Uri.EscapeDataString(mountPoint), null, ct);

    /// <summary>FIG. 10 / FIG. 18: the agent runs pre-process, copy or snapshot, post-process, and records the volume information.</summary>
    public Task<JobSnapshot> StartBackupAsync(BackupOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/backups", JsonContent.Create(order, options: Json), ct);

    public Task<JobSnapshot> StartVolumeRestoreAsync(VolumeRestoreOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/volume-restores", JsonContent.Create(order, options: Json), ct);

    public Task<JobSnapshot> StartFileRestoreAsync(FileRestoreOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/file-restores", JsonContent.Create(order, options: Json), ct);

    public Task<JobSnapshot> StartBackupDeletionAsync(BackupDeletionOrder order, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/backup-deletions", JsonContent.Create(order, options: Json), ct);

    public async Task<IReadOnlyList<JobSnapshot>> ListJobsAsync(CancellationToken ct = default) =>
        await SendAsync<JobSnapshot[]>(HttpMethod.Get, "v1/jobs", null, ct).ConfigureAwait(false);

    public Task<JobSnapshot> GetJobAsync(string id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Get, JobPath(id), null, ct);

    public Task CancelJobAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, JobPath(id), null, ct);

    /// <summary>
    /// Polls the agent's job to a final state and returns it (failed jobs are returned, not thrown: see
    /// <see cref="EnsureSucceeded"/>). Cancelling <paramref name="ct"/> asks the agent to cancel the job too,
    /// so a cancelled server job does not leave a backup running on the host.
    /// </summary>
    public async Task<JobSnapshot> WaitForJobAsync(string id, IProgress<JobSnapshot>? progress = null,
        TimeSpan? timeout = null, TimeSpan? pollInterval = null, CancellationToken ct = default)
    {
        var interval = pollInterval ?? DefaultJobPollInterval;
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        try
        {
            while (true)
            {
                var job = await GetJobAsync(id, ct).ConfigureAwait(false);
                progress?.Report(job);
                if (job.State.IsFinal()) return job;
                if (DateTime.UtcNow >= deadline)
                    throw new SnapcatException(ErrorKind.Remote, "job.wait_timeout",
                        $"the agent's job {id} ({job.Description}) did not finish within {timeout!.Value.TotalSeconds:0.#} s; it goes on running on the agent at {BaseUrl}");
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            try
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await CancelJobAsync(id, grace.Token).ConfigureAwait(false);
            }
            catch (SnapcatException) { /* best effort: the agent may be gone */ }
            catch (OperationCanceledException) { }
            throw;
        }
    }

    /// <summary>Returns a succeeded job; a failed or cancelled one becomes an error carrying the agent's code and message.</summary>
    public JobSnapshot EnsureSucceeded(JobSnapshot job) => job.State switch
    {
        JobState.Succeeded => job,
        JobState.Cancelled => throw new SnapcatException(ErrorKind.Conflict, job.ErrorCode ?? "job.cancelled",
            $"the agent at {BaseUrl} cancelled job {job.Id} ({job.Description})"),
        JobState.Failed => throw new SnapcatException(ErrorKind.Remote, job.ErrorCode ?? "job.failed",
            $"the agent at {BaseUrl} failed job {job.Id} ({job.Description}): {job.ErrorMessage ?? "no reason given"}"),
        _ => throw new SnapcatException(ErrorKind.Invalid, "job.not_finished", $"job {job.Id} is still {job.State}"),
    };

    /// <summary>The typed result of a succeeded job (e.g. <see cref="BackupResultDto"/>).</summary>
    public T ResultOf<T>(JobSnapshot job)
    {
        T? value = default;
        try
        {
            value = job.Result is null ? default : job.Result.Deserialize<T>(Json);
        }
        catch (JsonException ex)
        {
            Throw.Remote("agent.bad_response", $"the agent at {BaseUrl} finished job {job.Id} with a result that is not a {typeof(T).Name}: {ex.Message}", ex);
        }
        if (value is null)
            Throw.Remote("agent.bad_response", $"the agent at {BaseUrl} finished job {job.Id} without the {typeof(T).Name} result it owes");
        return value;
    }

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
            throw Unreachable(ex);
        }
        finally
        {
            request.Dispose();
        }
        try
        {
            if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
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
            throw Unreachable(ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
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
        var c = new HttpClient { BaseAddress = BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
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

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
        _streams?.Dispose();
    }

    private static string JobPath(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) Throw.Invalid("job.bad_id", "a job ID is needed, e.g. j-0123456789ab");
        return "v1/jobs/" + Uri.EscapeDataString(id);
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(method, path) { Content = content }, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(method, path) { Content = content }, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
                ?? throw new JsonException("the body is JSON null");
        }
        catch (JsonException ex)
        {
            throw new SnapcatException(ErrorKind.Remote, "agent.bad_response",
                $"the agent at {BaseUrl} answered {method} /{path} with a body that is not a {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    private ControlApiErrors Errors => _errors ??= new ControlApiErrors("agent", BaseUrl,
        "check that 'snapcat agent serve' runs on that host and that the URL in the server configuration's agents section matches its control.listen address",
        "check the agent's token in the server configuration");

    private ControlApiErrors? _errors;

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            try
            {
                return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw Unreachable(ex);
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                throw Errors.Timeout(request, _http.Timeout, ex);
            }
        }
    }

    private SnapcatException Unreachable(HttpRequestException ex) => Errors.Unreachable(ex);

    /// <summary>An <see cref="ErrorBody"/> keeps the agent's code; anything else is named after the HTTP status.</summary>
    private Task<SnapcatException> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct) => Errors.FromResponseAsync(response, ct);
}
