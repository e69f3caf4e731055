using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Snapcat.ControlApi.Security;
using Snapcat.Contracts.Array;
using Snapcat.Core.Integrity;
using Snapcat.Core.Security;
using Snapcat.Server.Flows;

namespace Snapcat.Server.Import;

/// <summary>
/// Routes of portable backups (docs/import.md): <c>PUT /v1/imports/image</c> (the framed body of <see cref="ImportBody"/>),
/// <c>POST /v1/imports/volume-copies</c> (a job), and <c>GET /v1/backups/{id}/export/{vinf|digest|image}</c>. Admin only:
/// an import adds a volume and a row, an export hands out a backup's data.
/// </summary>
public static class ImportApi
{
    public static void MapImportApi(this IEndpointRouteBuilder app, ServerRuntime rt)
    {
        var v1 = app.MapGroup("/v1");

        v1.MapPut("/imports/image", (string? deviceId, long? size, HttpContext http) => ImportImageAsync(rt, http, deviceId, size)).RequireRole(CredentialRole.Admin);

        v1.MapPost("/imports/volume-copies", (ImportFromArrayRequest? body) =>
        {
            if (body is null) Throw.Invalid("request.missing_body", "POST /v1/imports/volume-copies needs {\"fromDeviceId\":…,\"volume\":…,\"deviceId\":…}");
            if (body.Volume == 0) Throw.Invalid("import.bad_volume", "name the backup volume to import (--volume N, from 1)");
            if (body.FromDeviceId == body.DeviceId)
                Throw.Invalid("import.same_array", $"volume {body.Volume} is on {body.DeviceId} already; import from another array, or 'snapcat drift check' to add its row");
            rt.Remotes.ArrayFor(body.FromDeviceId);
            rt.Remotes.ArrayFor(body.DeviceId);
            var job = rt.Jobs.Start("import", $"import backup volume {body.Volume} of {body.FromDeviceId} into {body.DeviceId}", null,
                async ctx => JsonSerializer.SerializeToNode(await new VolumeImport(rt).RunAsync(body, ctx).ConfigureAwait(false), RebuildCatalogFromArrayHandler.Json)).Snapshot();
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/backups/{id}/export/{part}", (string id, string part, HttpContext http) => ExportAsync(rt, http, BackupNumber(id), part)).RequireRole(CredentialRole.Admin);
    }

    private static long BackupNumber(string text)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long id) || id <= 0)
            Throw.Invalid("backup.bad_id", $"'{text}' is not a backup ID (a whole number from 1; see 'snapcat backup list')");
        return id;
    }

    private static async Task<IResult> ImportImageAsync(ServerRuntime rt, HttpContext http, string? deviceId, long? size)
    {
        var ct = http.RequestAborted;
        if (string.IsNullOrWhiteSpace(deviceId)) Throw.Invalid("import.missing_device", "name the array to import into (?deviceId=…, --array)");
        if (size is not > 0) Throw.Invalid("import.bad_size", "the image size (?size=N bytes) must be above zero");
        var array = rt.Remotes.ArrayFor(deviceId);
        // An image is far above Kestrel's 30 MB default; the declared size bounds it (the agent checks it exactly).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var body = http.Request.Body;
        var import = new BackupImport(rt);
        byte[] header = new byte[ImportBody.HeaderBytes];
        byte[]? digest = null;
        BackupImport.Identity identity;
        try
        {
            if (!await ReadFullyAsync(body, header, ct).ConfigureAwait(false) || !header.AsSpan(0, 8).SequenceEqual(ImportBody.Magic))
                Throw.Invalid("import.bad_body", "the body is not a Snapcat import (it starts with \"SCIMPORT\", the record and the digest; 'snapcat backup import' sends it)");
            ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8));
            if (version != ImportBody.Version) Throw.Invalid("import.bad_body", $"import body version {version}; this server reads version {ImportBody.Version}");
            int digestLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(10 + VolumeInfoRecord.Size));
            if (digestLength is < 0 or > ImportBody.MaxDigestBytes) Throw.Invalid("import.bad_body", $"the digest length {digestLength} is not between 0 and {ImportBody.MaxDigestBytes}");
            if (digestLength > 0)
            {
                digest = new byte[digestLength];
                if (!await ReadFullyAsync(body, digest, ct).ConfigureAwait(false)) Throw.Invalid("import.bad_body", "the body ended inside the digest file");
            }
            identity = await import.ProveIdentityAsync(header.AsMemory(10, VolumeInfoRecord.Size), digest, size.Value, ct).ConfigureAwait(false);
        }
        catch (SnapcatException)
        {
            await DrainAsync(body, ct).ConfigureAwait(false);   // the client sends the whole body before it reads the answer
            throw;
        }
        if (identity.Existing is { } same)
        {
            await DrainAsync(body, ct).ConfigureAwait(false);
            return Results.Ok(BackupImport.Already(same));
        }
        var warnings = new List<string>();
        if (digest is null) warnings.Add("the image came without a digest file");
        var agent = AgentOf(rt, identity.Record.Host);
        var volume = await array.CreateVolumeAsync(size.Value.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        try
        {
            if (volume.Size != size)
                Throw.Invalid("import.bad_size", $"{deviceId} made a volume of {volume.Size} bytes for an image of {size}; give an image whose size the array accepts");
            // The agent writes the data over NBD through its restore port; its answer comes only after a FLUSH, so the
            // data is durable on the array before the digest is proven and the record written.
            await agent.WriteVolumeStreamAsync(deviceId, volume.Number, size.Value, (to, c) => CopyExactlyAsync(body, to, size.Value, c), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or IOException or OperationCanceledException)
        {
            await import.DeleteQuietlyAsync(array, deviceId, volume.Number).ConfigureAwait(false);
            throw;
        }
        var result = await import.FinishAsync(array, deviceId, volume.Number, identity, digest, warnings, null, ct).ConfigureAwait(false);
        return Results.Created($"/v1/backups/{result.Id}", result);
    }

    /// <summary>The agent that streams data into the array: the backup's host's when this server knows it, else the first.</summary>
    internal static AgentClient AgentOf(ServerRuntime rt, string host)
    {
        if (rt.Remotes.KnowsHost(host)) return rt.Remotes.AgentFor(host);
        string? first = rt.Remotes.Hosts.Order(StringComparer.Ordinal).FirstOrDefault();
        if (first is null) Throw.Invalid("import.no_agent", "this server has no agent to write the image into the array through; add one under \"agents\" in server.json");
        return rt.Remotes.AgentFor(first);
    }

    private static async Task<bool> ReadFullyAsync(Stream s, byte[] buffer, CancellationToken ct)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await s.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            if (n == 0) return false;
            filled += n;
        }
        return true;
    }

    private static async Task DrainAsync(Stream s, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        try { while (await s.ReadAsync(buffer, ct).ConfigureAwait(false) > 0) { } }
        catch (Exception e) when (e is IOException or BadHttpRequestException) { }
    }

    private static async Task CopyExactlyAsync(Stream from, Stream to, long size, CancellationToken ct)
    {
        var buffer = new byte[4 << 20];
        long left = size;
        while (left > 0)
        {
            int n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
            if (n == 0) Throw.Invalid("import.short_image", $"the image ended after {size - left} of {size} bytes; nothing was imported");
            await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            left -= n;
        }
        if (await from.ReadAsync(buffer.AsMemory(0, 1), ct).ConfigureAwait(false) > 0)
            Throw.Invalid("import.long_image", $"the image is longer than the {size} bytes declared; nothing was imported");
    }

    /// <summary>
    /// One part of a disk backup's export: its record (as the array holds it, which must equal the catalog's), its digest
    /// file (sealed by an array-side verify first when the array has none; the row gets that digest when it had none), or
    /// its data, streamed through the agent of the backup's host as the tape copy reads it.
    /// </summary>
    private static async Task ExportAsync(ServerRuntime rt, HttpContext http, long id, string part)
    {
        var ct = http.RequestAborted;
        var row = await BackupRows.GetAsync(rt.Data, id, ct).ConfigureAwait(false);
        if (rt.Tapes is { } lib && row.DeviceId == lib.LibraryId)
            Throw.Invalid("export.on_tape", $"backup {id} is on tape ({row.MediaId}); export a backup held on an array (restore it to a volume first)");
        uint volume = BackupRows.Volume(row);
        var array = rt.Remotes.ArrayFor(row.DeviceId);
        http.Response.ContentType = "application/octet-stream";
        switch (part)
        {
            case "vinf":
                byte[]? raw = await array.GetVolumeInfoAsync(volume, ct).ConfigureAwait(false);
                if (raw is null || !raw.AsSpan().SequenceEqual(row.VolumeInfo))
                    Throw.Conflict("export.record_differs", $"volume {volume} on {row.DeviceId} does not carry backup {id}'s record as the catalog has it; 'snapcat drift check' shows the difference");
                http.Response.ContentLength = raw!.Length;
                await http.Response.Body.WriteAsync(raw, ct).ConfigureAwait(false);
                return;
            case "digest":
                byte[] file = await DigestFileAsync(rt, array, row, volume, ct).ConfigureAwait(false);
                http.Response.ContentLength = file.Length;
                await http.Response.Body.WriteAsync(file, ct).ConfigureAwait(false);
                return;
            case "image":
                var agent = rt.Remotes.AgentFor(row.Host);
                var stream = await agent.OpenVolumeStreamAsync(row.DeviceId, volume, ct).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    http.Response.ContentLength = stream.Size;
                    long copied = 0;
                    var buffer = new byte[4 << 20];
                    try
                    {
                        int n;
                        while ((n = await stream.Data.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                        {
                            await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                            copied += n;
                        }
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException) { }
                    // Headers with the length are out: a short stream can only be signalled by cutting the connection.
                    if (copied != stream.Size) http.Abort();
                }
                return;
            default:
                Throw.Invalid("export.part", $"'{part}' is not a part of an export; one of vinf, digest, image");
                return;
        }
    }

    private static async Task<byte[]> DigestFileAsync(ServerRuntime rt, ArrayClient array, BackupDataRow row, uint volume, CancellationToken ct)
    {
        byte[]? file = await array.GetDigestFileAsync(volume, ct).ConfigureAwait(false);
        if (file is null)
        {
            // No digest yet (a snapshot before its first verify): the array seals one now, reading the data where it is.
            ArrayClient.EnsureSucceeded(await array.WaitForJobAsync((await array.StartVerifyAsync(volume, ct).ConfigureAwait(false)).Id, ct: ct).ConfigureAwait(false));
            file = await array.GetDigestFileAsync(volume, ct).ConfigureAwait(false)
                ?? throw new SnapcatException(ErrorKind.Remote, "export.no_digest", $"{row.DeviceId} verified volume {volume} but keeps no digest for it");
        }
        string root = ContentDigest.Parse(file).RootText;
        if (row.Digest is null) await rt.Data.SetDigestAsync(row.Id, root, ct).ConfigureAwait(false);
        else if (row.Digest != root)
            Throw.Conflict("export.digest_differs", $"the array's digest of volume {volume} ({root}) is not backup {row.Id}'s ({row.Digest}); 'snapcat drift check' and its fix verify which is right");
        return file;
    }
}
