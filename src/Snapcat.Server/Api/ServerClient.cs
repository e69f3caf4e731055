using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;
using Snapcat.Server.Catalog;

namespace Snapcat.Server.Api;

/// <summary>HTTP client of the backup server's API (ServerContracts.cs), for the CLI and tests. Failures are <see cref="SnapcatException"/>s.</summary>
public sealed class ServerClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly HttpClient _http;

    public ServerClient(Uri baseUrl, string token, TimeSpan? timeout = null)
    {
        if (string.IsNullOrEmpty(token))
            Throw.Invalid("server.token_missing", $"no token given for the backup server at {baseUrl}");
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _http = new HttpClient { BaseAddress = BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri BaseUrl { get; }

    public Task<ServerInfo> GetServerAsync(CancellationToken ct = default) => SendAsync<ServerInfo>(HttpMethod.Get, "v1/server", null, ct);

    public async Task<IReadOnlyList<DefinitionDto>> ListDefinitionsAsync(CancellationToken ct = default) =>
        await SendAsync<DefinitionDto[]>(HttpMethod.Get, "v1/definitions", null, ct).ConfigureAwait(false);

    public Task<DefinitionDto> CreateDefinitionAsync(DefinitionDto d, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Post, "v1/definitions", JsonContent.Create(d, options: Json), ct);

    public Task<DefinitionDto> GetDefinitionAsync(string name, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Get, "v1/definitions/" + Uri.EscapeDataString(name), null, ct);

    public Task<DefinitionDto> UpdateDefinitionAsync(DefinitionDto d, CancellationToken ct = default) =>
        SendAsync<DefinitionDto>(HttpMethod.Put, "v1/definitions/" + Uri.EscapeDataString(d.Name), JsonContent.Create(d, options: Json), ct);

    public Task DeleteDefinitionAsync(string name, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, "v1/definitions/" + Uri.EscapeDataString(name), null, ct, noBody: true);

    public Task<JobSnapshot> RunDefinitionAsync(string name, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/definitions/{Uri.EscapeDataString(name)}/runs", null, ct);

    public async Task<IReadOnlyList<BackupVolumeDto>> ListBackupVolumesAsync(CancellationToken ct = default) =>
        await SendAsync<BackupVolumeDto[]>(HttpMethod.Get, "v1/backup-volumes", null, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<BackupDto>> SearchBackupsAsync(BackupDataFilter f, CancellationToken ct = default)
    {
        var q = new StringBuilder("v1/backups?limit=").Append(f.Limit.ToString(CultureInfo.InvariantCulture))
            .Append("&offset=").Append(f.Offset.ToString(CultureInfo.InvariantCulture));
        void Add(string name, string? value)
        {
            if (value is not null) q.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
        Add("host", f.Host);
        Add("mountPoint", f.MountPoint);
        Add("label", f.Label);
        Add("kind", f.Kind);
        Add("deviceId", f.DeviceId);
        Add("definition", f.Definition);
        Add("from", f.From?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture));
        Add("to", f.To?.UtcDateTime.ToString("o", CultureInfo.InvariantCulture));
        return await SendAsync<BackupDto[]>(HttpMethod.Get, q.ToString(), null, ct).ConfigureAwait(false);
    }

    public Task<BackupDto> GetBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<BackupDto>(HttpMethod.Get, $"v1/backups/{id}", null, ct);

    public Task<JobSnapshot> RestoreAsync(long id, RestoreRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/restores", JsonContent.Create(request, options: Json), ct);

    public Task<JobSnapshot> DeleteBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Delete, $"v1/backups/{id}", null, ct);

    public Task<JobSnapshot> CopyBackupAsync(long id, CopyRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/copies", JsonContent.Create(request, options: Json), ct);

    public Task<JobSnapshot> CopyToTapeAsync(long id, TapeCopyRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/tape-copies", JsonContent.Create(request, options: Json), ct);

    public Task<JobSnapshot> VerifyBackupAsync(long id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/backups/{id}/verifications", null, ct);

    public async Task<IReadOnlyList<Tape.CartridgeSummary>> ListCartridgesAsync(CancellationToken ct = default) =>
        await SendAsync<Tape.CartridgeSummary[]>(HttpMethod.Get, "v1/tape/cartridges", null, ct).ConfigureAwait(false);

    public Task<Tape.CartridgeSummary> RecycleCartridgeAsync(string volumeSerial, CancellationToken ct = default) =>
        SendAsync<Tape.CartridgeSummary>(HttpMethod.Post, $"v1/tape/cartridges/{Uri.EscapeDataString(volumeSerial)}/recycle", null, ct);

    public Task<JobSnapshot> RebuildAsync(RebuildRequest request, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, "v1/catalog/rebuilds", JsonContent.Create(request, options: Json), ct);

    public Task<Flows.OrphanReport> ListOrphansAsync(IReadOnlyList<string>? deviceIds = null, CancellationToken ct = default) =>
        SendAsync<Flows.OrphanReport>(HttpMethod.Get,
            "v1/catalog/orphans" + (deviceIds is { Count: > 0 } ? "?" + string.Join("&", deviceIds.Select(d => "deviceId=" + Uri.EscapeDataString(d))) : ""), null, ct);

    public Task<Flows.OrphanReport> DeleteOrphansAsync(IReadOnlyList<string>? deviceIds = null, CancellationToken ct = default) =>
        SendAsync<Flows.OrphanReport>(HttpMethod.Post, "v1/catalog/orphans/deletions",
            JsonContent.Create(new Flows.OrphanRequest(deviceIds, Delete: true), options: Json), ct);

    public async Task<IReadOnlyList<JobSnapshot>> ListJobsAsync(int limit = 100, CancellationToken ct = default) =>
        await SendAsync<JobSnapshot[]>(HttpMethod.Get, $"v1/jobs?limit={limit}", null, ct).ConfigureAwait(false);

    public Task<JobSnapshot> GetJobAsync(string id, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Get, "v1/jobs/" + Uri.EscapeDataString(id), null, ct);

    public Task CancelJobAsync(string id, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, "v1/jobs/" + Uri.EscapeDataString(id), null, ct, noBody: true);

    public async Task<IReadOnlyList<ScheduleEventDto>> ListScheduleEventsAsync(CancellationToken ct = default) =>
        await SendAsync<ScheduleEventDto[]>(HttpMethod.Get, "v1/schedule-events", null, ct).ConfigureAwait(false);

    /// <summary>Polls a server job to its final state (returned, not thrown; see <see cref="EnsureSucceeded"/>).</summary>
    public async Task<JobSnapshot> WaitForJobAsync(string id, IProgress<JobSnapshot>? progress = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var deadline = timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        while (true)
        {
            var job = await GetJobAsync(id, ct).ConfigureAwait(false);
            progress?.Report(job);
            if (job.State.IsFinal()) return job;
            if (DateTime.UtcNow >= deadline)
                throw new SnapcatException(ErrorKind.Remote, "job.wait_timeout",
                    $"job {id} ({job.Description}) did not finish within {timeout!.Value.TotalSeconds:0.#} s; it goes on running on the server");
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    public static JobSnapshot EnsureSucceeded(JobSnapshot job) => job.State switch
    {
        JobState.Succeeded => job,
        JobState.Cancelled => throw new SnapcatException(ErrorKind.Conflict, job.ErrorCode ?? "job.cancelled", $"job {job.Id} ({job.Description}) was cancelled"),
        JobState.Interrupted => throw new SnapcatException(ErrorKind.Remote, job.ErrorCode ?? "job.interrupted",
            $"job {job.Id} ({job.Description}) was interrupted: {job.ErrorMessage}; 'snapcat job show {job.Id}' shows what was reconciled after the restart"),
        _ => throw new SnapcatException(ErrorKind.Remote, job.ErrorCode ?? "job.failed",
            $"job {job.Id} ({job.Description}) failed: {job.ErrorMessage ?? "no reason given"}; 'snapcat job show {job.Id}' shows its log"),
    };

    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken ct, bool noBody = false)
    {
        HttpResponseMessage response;
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            string why = ex.InnerException is SocketException se ? se.Message : ex.Message;
            throw new SnapcatException(ErrorKind.Remote, "server.unreachable",
                $"could not reach the backup server at {BaseUrl} ({why}); check that 'snapcat server serve' is running and the URL matches its control.listen", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new SnapcatException(ErrorKind.Remote, "server.timeout", $"the backup server at {BaseUrl} did not answer {method} /{path} in time", ex);
        }
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                int status = (int)response.StatusCode;
                try
                {
                    if (JsonSerializer.Deserialize<ErrorBody>(body, Json)?.Error is { Code.Length: > 0, Message: not null } e)
                        throw new SnapcatException(ErrorKindHttp.FromStatusCode(status), e.Code, e.Message);
                }
                catch (JsonException) { }
                throw new SnapcatException(ErrorKindHttp.FromStatusCode(status), $"http.{status}",
                    $"the backup server at {BaseUrl} answered {method} /{path} with HTTP {status}" + (status == 401 ? "; check the token" : ""));
            }
            if (noBody) return default!;
            try
            {
                return JsonSerializer.Deserialize<T>(body, Json) ?? throw new JsonException("the body is JSON null");
            }
            catch (JsonException ex)
            {
                throw new SnapcatException(ErrorKind.Remote, "server.bad_response",
                    $"the backup server at {BaseUrl} answered {method} /{path} with a body that is not a {typeof(T).Name}: {ex.Message}", ex);
            }
        }
    }
}
