using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Snapcat.Core.Errors;

namespace Snapcat.Array.Api;

/// <summary>
/// HTTP client of the array's control API (routes in <see cref="ArrayInfo"/>'s file, ArrayContracts.cs).
/// Used by the CLI, and later by agents and the backup server. Every failure surfaces as a
/// <see cref="SnapcatException"/>: the server's own code and message for an error response
/// (ArrayClient.Errors.cs), kind Remote when the array cannot be reached at all.
/// </summary>
public sealed partial class ArrayClient : IDisposable
{
    // Enums (a job's state) are read as names or numbers, whichever the server writes.
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    public ArrayClient(Uri baseUrl, string token, TimeSpan? timeout = null)
        : this(new HttpClient(), baseUrl, token, ownsHttp: true)
    {
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(100);
    }

    /// <summary>With a caller's <see cref="HttpClient"/> (its base address and headers are set here).</summary>
    public ArrayClient(HttpClient http, Uri baseUrl, string token, bool ownsHttp = false)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (string.IsNullOrEmpty(token))
            Throw.Invalid("array.token_missing", $"no token given for the array at {baseUrl}; every control API call needs its bearer token");
        _http = http;
        _ownsHttp = ownsHttp;
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _http.BaseAddress = BaseUrl;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri BaseUrl { get; }

    public Task<ArrayInfo> GetArrayAsync(CancellationToken ct = default) =>
        SendAsync<ArrayInfo>(HttpMethod.Get, "v1/array", null, ct);

    public async Task<IReadOnlyList<VolumeDto>> ListVolumesAsync(bool includeInfo = false, CancellationToken ct = default) =>
        await SendAsync<VolumeDto[]>(HttpMethod.Get, includeInfo ? "v1/volumes?info=true" : "v1/volumes", null, ct);

    /// <summary>Creates a volume of <paramref name="size"/> (a byte count or units such as <c>512M</c>, parsed by the array).</summary>
    public Task<VolumeDto> CreateVolumeAsync(string size, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Post, "v1/volumes", JsonContent.Create(new CreateVolumeRequest(size), options: Json), ct);

    public Task<VolumeDto> GetVolumeAsync(uint number, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Get, $"v1/volumes/{N(number)}", null, ct);

    public Task DeleteVolumeAsync(uint number, bool force = false, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"v1/volumes/{N(number)}?force={(force ? "true" : "false")}", null, ct);

    public Task<AssignmentDto> AssignAsync(uint number, string port, uint lun, bool? readOnly = null, CancellationToken ct = default) =>
        SendAsync<AssignmentDto>(HttpMethod.Post, $"v1/volumes/{N(number)}/assignments",
            JsonContent.Create(new AssignRequest(port, lun, readOnly), options: Json), ct);

    public Task ReleaseAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, PortLunPath(port, lun), null, ct);

    /// <summary>Which volume a port/LUN reaches (the lookup of FIG. 8).</summary>
    public Task<LunDto> GetLunAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync<LunDto>(HttpMethod.Get, PortLunPath(port, lun), null, ct);

    /// <summary>The volume's 512-byte volume information, or null when the volume has none.</summary>
    public async Task<byte[]?> GetVolumeInfoAsync(uint number, CancellationToken ct = default)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, $"v1/volumes/{N(number)}/info"), ct);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ToExceptionAsync(response, ct);
            // Only "this volume has no information" is a null; a missing volume stays an error.
            if (error.Kind == ErrorKind.NotFound && error.Code == VolumeInfoNotFoundCode) return null;
            throw error;
        }
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    public const string VolumeInfoNotFoundCode = "volume_info.not_found";

    public Task PutVolumeInfoAsync(uint number, ReadOnlyMemory<byte> record, CancellationToken ct = default)
    {
        var content = new ReadOnlyMemoryContent(record);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return SendAsync(HttpMethod.Put, $"v1/volumes/{N(number)}/info", content, ct);
    }

    public Task DeleteVolumeInfoAsync(uint number, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"v1/volumes/{N(number)}/info", null, ct);

    /// <summary>Every volume with its volume information in one call (the catalog rebuild of FIG. 15).</summary>
    public Task<VolumeInfoListing> ListVolumeInfosAsync(CancellationToken ct = default) =>
        SendAsync<VolumeInfoListing>(HttpMethod.Get, "v1/volume-infos", null, ct);

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private static string N(uint number) => number.ToString(CultureInfo.InvariantCulture);

    // A port is "host:port" (IPv6 in brackets); escaped as one path segment.
    private static string PortLunPath(string port, uint lun) =>
        $"v1/ports/{Uri.EscapeDataString(port)}/luns/{N(lun)}";

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(method, path) { Content = content }, ct);
        if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(method, path) { Content = content }, ct);
        if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, ct);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, ct)
                ?? throw new JsonException("the body is JSON null");
        }
        catch (JsonException ex)
        {
            throw new SnapcatException(ErrorKind.Remote, "array.bad_response",
                $"the array at {BaseUrl} answered {method} /{path} with a body that is not a {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
