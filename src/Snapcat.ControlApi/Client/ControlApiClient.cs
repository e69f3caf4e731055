using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Core.Json;
using Snapcat.Core.Tls;

namespace Snapcat.ControlApi.Client;

/// <summary>
/// Which control API a client talks to, in the words its errors use: <see cref="Code"/> starts error codes
/// ("array" → <c>array.unreachable</c>), <see cref="Name"/> stands in messages ("the backup server at …"),
/// and the hints say what to check when the peer cannot be reached or refuses the token.
/// </summary>
public sealed record ControlApiPeer(string Code, string Name, string UnreachableHint, string TokenHint);

/// <summary>
/// The one HTTP client base of Snapcat's control APIs (array, agent, backup server): bearer token, send and
/// error mapping (<see cref="ControlApiErrors"/>), jobs (get, cancel, wait with a deadline and cancellation,
/// <see cref="EnsureSucceeded(JobSnapshot)"/>, typed results). The typed clients in Snapcat.Contracts only name routes.
/// Every failure is a <see cref="SnapcatException"/>: the peer's own code and message for an error response,
/// kind Remote naming the URL when the peer cannot be reached or answers nonsense.
/// </summary>
public abstract class ControlApiClient : IDisposable
{
    /// <summary>Web defaults with the one enum encoding (<see cref="SnapcatJson"/>); numbers from an older peer still read.</summary>
    public static readonly JsonSerializerOptions Json = SnapcatJson.Web;

    /// <summary>How often <see cref="WaitForJobAsync"/> asks; a job's progress moves in chunk windows, so faster buys nothing.</summary>
    public static readonly TimeSpan DefaultJobPollInterval = TimeSpan.FromMilliseconds(200);

    private readonly bool _ownsHttp;
    private readonly string _token;
    private readonly PeerTrust? _trust;

    /// <summary>
    /// A client with its own connections, whose TLS handshakes check the peer's certificate against <paramref name="trust"/>
    /// (<see cref="PeerCertificateCheck"/>: pinned fingerprint, CA file, or the system's trust store when null).
    /// </summary>
    protected ControlApiClient(Uri baseUrl, string token, PeerTrust? trust, ControlApiPeer peer, TimeSpan? timeout = null)
        : this(new HttpClient(new PeerCertificateCheck(trust, peer?.Name ?? "peer", peer?.Code ?? "peer", baseUrl).CreateHandler()), baseUrl, token, peer!, ownsHttp: true, timeout)
    {
        _trust = trust;
    }

    protected ControlApiClient(HttpClient http, Uri baseUrl, string token, ControlApiPeer peer, bool ownsHttp, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        Peer = peer;
        if (string.IsNullOrEmpty(token))
            Throw.Invalid($"{peer.Code}.token_missing", $"no token given for the {peer.Name} at {baseUrl}; every control API call needs its bearer token");
        Http = http;
        _ownsHttp = ownsHttp;
        _token = token;
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Http.BaseAddress = BaseUrl;
        if (timeout is { } t) Http.Timeout = t;
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Errors = new ControlApiErrors(peer.Name, peer.Code, BaseUrl, peer.UnreachableHint, peer.TokenHint);
    }

    public Uri BaseUrl { get; }

    protected ControlApiPeer Peer { get; }

    protected HttpClient Http { get; }

    protected ControlApiErrors Errors { get; }

    /// <summary>
    /// Whether an aborted <see cref="WaitForJobAsync"/> also asks the peer to cancel the job. The agent's client
    /// does, so a cancelled server job does not leave a backup running on the host.
    /// </summary>
    protected virtual bool CancelJobWhenWaitIsCancelled => false;

    // ---- jobs: the same routes on every daemon ----

    public async Task<IReadOnlyList<JobSnapshot>> ListJobsAsync(CancellationToken ct = default) =>
        await SendAsync<JobSnapshot[]>(HttpMethod.Get, "v1/jobs", null, ct).ConfigureAwait(false);

    public Task<JobSnapshot> GetJobAsync(string id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Get, JobPath(id), null, ct);

    /// <summary>Asks the peer to cancel the job; it ends as Cancelled (or finishes first) — poll to see which.</summary>
    public Task CancelJobAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, JobPath(id), null, ct);

    /// <summary>
    /// Polls the job until it reaches a final state and returns that state (a failed job is returned, not
    /// thrown: see <see cref="EnsureSucceeded(JobSnapshot)"/>). Every snapshot read goes to <paramref name="progress"/>.
    /// Past <paramref name="timeout"/> (default: no limit) it throws <c>job.wait_timeout</c>; the job itself goes on.
    /// </summary>
    public async Task<JobSnapshot> WaitForJobAsync(string id, IProgress<JobSnapshot>? progress = null,
        TimeSpan? timeout = null, TimeSpan? pollInterval = null, CancellationToken ct = default)
    {
        var interval = pollInterval ?? DefaultJobPollInterval;
        if (interval <= TimeSpan.Zero) Throw.Invalid("job.bad_poll_interval", $"poll interval must be above zero, not {interval}");
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
                        $"job {id} ({job.Description}) did not finish within {timeout!.Value.TotalSeconds:0.#} s " +
                        $"(state {job.State}, {job.BytesDone} of {job.BytesTotal} bytes); it goes on running on the {Peer.Name} at {BaseUrl}");
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && CancelJobWhenWaitIsCancelled)
        {
            try
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await CancelJobAsync(id, grace.Token).ConfigureAwait(false);
            }
            catch (SnapcatException) { /* best effort: the peer may be gone */ }
            catch (OperationCanceledException) { }
            throw;
        }
    }

    /// <summary>Returns a succeeded job; a failed, cancelled or interrupted one becomes an error with the job's own code and message.</summary>
    public static JobSnapshot EnsureSucceeded(JobSnapshot job) => EnsureSucceeded(job, null);

    /// <param name="hint">Said after the reason of a failed or interrupted job, e.g. where its log is.</param>
    protected static JobSnapshot EnsureSucceeded(JobSnapshot job, string? hint)
    {
        ArgumentNullException.ThrowIfNull(job);
        string more = hint is null ? "" : "; " + hint;
        return job.State switch
        {
            JobState.Succeeded => job,
            JobState.Cancelled => throw new SnapcatException(ErrorKind.Conflict, job.ErrorCode ?? "job.cancelled",
                $"job {job.Id} ({job.Description}) was cancelled"),
            JobState.Failed => throw new SnapcatException(ErrorKind.Remote, job.ErrorCode ?? "job.failed",
                $"job {job.Id} ({job.Description}) failed: {job.ErrorMessage ?? "no reason given"}{more}"),
            JobState.Interrupted => throw new SnapcatException(ErrorKind.Remote, job.ErrorCode ?? "job.interrupted",
                $"job {job.Id} ({job.Description}) was interrupted: {job.ErrorMessage ?? "no reason given"}{more}"),
            _ => throw new SnapcatException(ErrorKind.Invalid, "job.not_finished", $"job {job.Id} is still {job.State}"),
        };
    }

    /// <summary>The typed result of a succeeded job (e.g. an agent's backup result).</summary>
    public T ResultOf<T>(JobSnapshot job)
    {
        ArgumentNullException.ThrowIfNull(job);
        T? value = default;
        try
        {
            value = job.Result is null ? default : job.Result.Deserialize<T>(Json);
        }
        catch (JsonException ex)
        {
            Throw.Remote($"{Peer.Code}.bad_response", $"the {Peer.Name} at {BaseUrl} finished job {job.Id} with a result that is not a {typeof(T).Name}: {ex.Message}", ex);
        }
        if (value is null)
            Throw.Remote($"{Peer.Code}.bad_response", $"the {Peer.Name} at {BaseUrl} finished job {job.Id} without the {typeof(T).Name} result it owes");
        return value;
    }

    protected static string JobPath(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) Throw.Invalid("job.bad_id", "a job ID is needed, e.g. j-0123456789ab");
        return "v1/jobs/" + Uri.EscapeDataString(id);
    }

    // ---- sending ----

    protected static JsonContent Body<T>(T value) => JsonContent.Create(value, options: Json);

    protected async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(method, path) { Content = content }, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
    }

    protected async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(method, path) { Content = content }, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
                ?? throw new JsonException("the body is JSON null");
        }
        catch (JsonException ex)
        {
            throw new SnapcatException(ErrorKind.Remote, $"{Peer.Code}.bad_response",
                $"the {Peer.Name} at {BaseUrl} answered {method} /{path} with a body that is not a {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>Sends and reads the whole body; transport failures become <c>CODE.unreachable</c> / <c>CODE.timeout</c>.</summary>
    protected async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using (request)
        {
            try
            {
                return await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw Errors.Unreachable(ex);
            }
            catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
            {
                throw Errors.Timeout(request, Http.Timeout, ex);
            }
        }
    }

    /// <summary>A second client for long streams: same base address and token, no whole-request timeout.</summary>
    protected HttpClient CreateStreamingClient()
    {
        var c = new HttpClient(new PeerCertificateCheck(_trust, Peer.Name, Peer.Code, BaseUrl).CreateHandler()) { BaseAddress = BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return c;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && _ownsHttp) Http.Dispose();
    }
}
