using System.Globalization;
using System.Net.Http.Headers;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Errors;
using Snapcat.Core.Jobs;

namespace Snapcat.Contracts.Array;

/// <summary>
/// HTTP client of the array's control API (routes in ArrayContracts.cs), used by the CLI, agents and the
/// backup server. Sending, errors and jobs are <see cref="ControlApiClient"/>'s; this class names the routes.
/// </summary>
public sealed partial class ArrayClient : ControlApiClient
{
    private static readonly ControlApiPeer ArrayPeer = new("array", "array",
        "check that 'snapcat array serve' is running and that the URL matches the control.listen address of its configuration",
        "check the token");

    /// <param name="trust">How the peer's certificate is checked on https:// (pinned fingerprint or CA file); null: the system's trust store.</param>
    public ArrayClient(Uri baseUrl, string token, TimeSpan? timeout = null, Snapcat.Core.Tls.PeerTrust? trust = null)
        : base(baseUrl, token, trust, ArrayPeer, timeout ?? TimeSpan.FromSeconds(100))
    {
    }

    /// <summary>With a caller's <see cref="HttpClient"/> (its base address and headers are set here).</summary>
    public ArrayClient(HttpClient http, Uri baseUrl, string token, bool ownsHttp = false)
        : base(http, baseUrl, token, ArrayPeer, ownsHttp)
    {
    }

    public Task<ArrayInfo> GetArrayAsync(CancellationToken ct = default) =>
        SendAsync<ArrayInfo>(HttpMethod.Get, "v1/array", null, ct);

    public async Task<IReadOnlyList<VolumeDto>> ListVolumesAsync(bool includeInfo = false, CancellationToken ct = default) =>
        await SendAsync<VolumeDto[]>(HttpMethod.Get, includeInfo ? "v1/volumes?info=true" : "v1/volumes", null, ct).ConfigureAwait(false);

    /// <summary>Creates a volume of <paramref name="size"/> (a byte count or units such as <c>512M</c>, parsed by the array).</summary>
    public Task<VolumeDto> CreateVolumeAsync(string size, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Post, "v1/volumes", Body(new CreateVolumeRequest(size)), ct);

    public Task<VolumeDto> GetVolumeAsync(uint number, CancellationToken ct = default) =>
        SendAsync<VolumeDto>(HttpMethod.Get, $"v1/volumes/{N(number)}", null, ct);

    public Task DeleteVolumeAsync(uint number, bool force = false, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"v1/volumes/{N(number)}?force={(force ? "true" : "false")}", null, ct);

    public Task<AssignmentDto> AssignAsync(uint number, string port, uint lun, bool? readOnly = null, CancellationToken ct = default) =>
        AssignAsync(number, port, lun, readOnly, allowedIdentities: null, ct);

    /// <summary>Assigns, letting only NBD clients with one of <paramref name="allowedIdentities"/> open the LUN (null: any).</summary>
    public Task<AssignmentDto> AssignAsync(uint number, string port, uint lun, bool? readOnly, IReadOnlyList<string>? allowedIdentities, CancellationToken ct = default) =>
        SendAsync<AssignmentDto>(HttpMethod.Post, $"v1/volumes/{N(number)}/assignments",
            Body(new AssignRequest(port, lun, readOnly, allowedIdentities)), ct);

    public Task ReleaseAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, PortLunPath(port, lun), null, ct);

    /// <summary>Which volume a port/LUN reaches (the lookup of FIG. 8).</summary>
    public Task<LunDto> GetLunAsync(string port, uint lun, CancellationToken ct = default) =>
        SendAsync<LunDto>(HttpMethod.Get, PortLunPath(port, lun), null, ct);

    /// <summary>The volume's 512-byte volume information, or null when the volume has none.</summary>
    public async Task<byte[]?> GetVolumeInfoAsync(uint number, CancellationToken ct = default)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, $"v1/volumes/{N(number)}/info"), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
            // Only "this volume has no information" is a null; a missing volume stays an error.
            if (error.Kind == ErrorKind.NotFound && error.Code == VolumeInfoNotFoundCode) return null;
            throw error;
        }
        return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
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

    public const string DigestNotFoundCode = "digest.none";

    /// <summary>The content digest the array keeps for the volume, or null when it has none yet (issue 13).</summary>
    public async Task<VolumeDigestDto?> GetDigestAsync(uint number, CancellationToken ct = default)
    {
        try
        {
            return await SendAsync<VolumeDigestDto>(HttpMethod.Get, $"v1/volumes/{N(number)}/digest", null, ct).ConfigureAwait(false);
        }
        catch (SnapcatException e) when (e.Kind == ErrorKind.NotFound && e.Code == DigestNotFoundCode)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts an array-side verify of the volume (its data never leaves the array): a job whose result is a
    /// <see cref="VolumeVerifyResult"/>; a volume without a digest gets one sealed.
    /// </summary>
    public Task<JobSnapshot> StartVerifyAsync(uint number, CancellationToken ct = default) =>
        SendAsync<JobSnapshot>(HttpMethod.Post, $"v1/volumes/{N(number)}/verify", null, ct);

    /// <summary>The kept digest in its serialized file form (Core.Integrity.ContentDigest.Parse reads it), or null when there is none.</summary>
    public async Task<byte[]?> GetDigestFileAsync(uint number, CancellationToken ct = default)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, $"v1/volumes/{N(number)}/digest/file"), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await Errors.FromResponseAsync(response, ct).ConfigureAwait(false);
            if (error.Kind == ErrorKind.NotFound && error.Code == DigestNotFoundCode) return null;
            throw error;
        }
        return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands the array a digest file for the volume (an import, or <paramref name="source"/> <c>copy</c> after a volume copy);
    /// the array reads the volume and keeps it only when it describes the data (409 <c>digest.mismatch</c> otherwise).
    /// </summary>
    public Task<VolumeDigestDto> PutDigestAsync(uint number, ReadOnlyMemory<byte> digestFile, string source = "import", CancellationToken ct = default)
    {
        var content = new ReadOnlyMemoryContent(digestFile);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return SendAsync<VolumeDigestDto>(HttpMethod.Put, $"v1/volumes/{N(number)}/digest?source={Uri.EscapeDataString(source)}", content, ct);
    }

    private static string N(uint number) => number.ToString(CultureInfo.InvariantCulture);

    // A port is "host:port" (IPv6 in brackets); escaped as one path segment.
    private static string PortLunPath(string port, uint lun) =>
        $"v1/ports/{Uri.EscapeDataString(port)}/luns/{N(lun)}";
}
