using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Core.Units;

namespace Snapcat.Array.Api;

/// <summary>
/// Every route of the control API contract (ArrayContracts.cs), over a <see cref="VolumeManager"/>. Each route
/// declares its role: read-only routes (an agent credential sees its own volumes only), agent routes (the calls
/// a host's agent makes, each checked against its <see cref="ArrayScope"/>), admin routes (the backup server's).
/// </summary>
public static partial class ArrayApi
{
    public const string Version = "1";

    /// <summary>Maps the routes; without <paramref name="copy"/> the copy functions' routes are absent (volume management only).</summary>
    public static void MapArrayApi(this IEndpointRouteBuilder app, VolumeManager volumes, CopyFunctionService? copy = null)
    {
        var v1 = app.MapGroup("/v1");
        var scope = new ArrayScope(volumes);
        if (copy is not null) MapCopyApi(v1, copy, scope, volumes);
        if (copy is not null) MapDigestApi(v1, copy, volumes);

        v1.MapGet("/array", () =>
        {
            var space = volumes.DataFileSystemSpace();
            return new ArrayInfo(
                volumes.DeviceId,
                typeof(ArrayApi).Assembly.GetName().Version?.ToString() ?? Version,
                volumes.DataPorts.Select(p => new DataPortDto(p.ToString())).ToList(),
                checked((int)volumes.Count), space?.FreeBytes, space?.TotalBytes);
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/volumes", (bool? info, HttpContext http) =>
        {
            var list = scope.Filter(http, volumes.List(), v => v.Number);
            return list.Select(v => v.ToDto(info == true && v.HasVolumeInfo ? volumes.GetVolumeInfo(v.Number) : null, info == true)).ToList();
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapPost("/volumes", (CreateVolumeRequest? body) =>
        {
            if (body is null)
                Throw.Invalid("request.missing_body", "POST /v1/volumes needs a JSON body such as {\"size\":\"512M\"}");
            if (!ByteSize.TryParse(body.Size, out long size, out string? error))
                Throw.Invalid("size.invalid", error!);
            var v = volumes.Create(size);
            return Results.Created($"/v1/volumes/{v.Number}", v.ToDto());
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/volumes/{number}", (string number, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(http, n);
            var v = volumes.Get(n);
            return v.ToDto(v.HasVolumeInfo ? volumes.GetVolumeInfo(n) : null, withInfo: true);
        }).RequireRole(CredentialRole.ReadOnly);

        // An agent deletes the snapshots of its volumes (pruning, undoing a failed snapshot backup); nothing else.
        v1.MapDelete("/volumes/{number}", async (string number, bool? force, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireDeletable(http, n);
            if (copy is not null) await copy.DeleteVolumeAsync(n, force == true).ConfigureAwait(false);
            else await volumes.DeleteAsync(n, force == true).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireRole(CredentialRole.Agent);

        // AssignBody, not AssignRequest: a missing readOnly must be told from false (snapshots default to read-only).
        // An agent assigns the volumes it reaches to its restore ports only (file restore, volume streams).
        v1.MapPost("/volumes/{number}/assignments", (string number, AssignBody? body, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            if (body is null)
                Throw.Invalid("request.missing_body", "this route needs a JSON body such as {\"port\":\"127.0.0.1:10809\",\"lun\":1,\"readOnly\":false}");
            if (string.IsNullOrWhiteSpace(body.Port))
                Throw.Invalid("request.missing_port", "assignment needs 'port' (a data port address host:port)");
            scope.RequireVolume(http, n);
            scope.RequireRestorePort(http, body.Port, body.Lun);
            var a = volumes.Assign(n, body.Port, body.Lun, body.ReadOnly, body.AllowedIdentities);
            return Results.Created($"/v1/ports/{Uri.EscapeDataString(a.Port)}/luns/{a.Lun}", a.ToDto());
        }).RequireRole(CredentialRole.Agent);

        v1.MapDelete("/ports/{port}/luns/{lun}", (string port, string lun, HttpContext http) =>
        {
            string p = Uri.UnescapeDataString(port);
            uint l = ParseLun(lun);
            scope.RequireRestorePort(http, p, l);
            volumes.Release(p, l);
            return Results.NoContent();
        }).RequireRole(CredentialRole.Agent);

        v1.MapGet("/ports/{port}/luns/{lun}", (string port, string lun, HttpContext http) =>
        {
            var a = volumes.GetLun(Uri.UnescapeDataString(port), ParseLun(lun));
            scope.RequireVolume(http, checked((uint)a.Volume));
            return new LunDto(a.Port, checked((uint)a.Lun), a.ReadOnly, checked((uint)a.Volume), volumes.DeviceId);
        }).RequireRole(CredentialRole.ReadOnly);

        v1.MapGet("/volumes/{number}/info", (string number, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(http, n);
            byte[]? info = volumes.GetVolumeInfo(n);
            if (info is null)
                Throw.NotFound("volume_info.not_found", $"volume {n} has no volume information");
            return Results.Bytes(info, "application/octet-stream");
        }).Produces<byte[]>(200, "application/octet-stream").RequireRole(CredentialRole.ReadOnly);

        v1.MapPut("/volumes/{number}/info", async (string number, HttpRequest request) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(request.HttpContext, n);
            byte[] body = await ReadLimitedAsync(request, VolumeManager.VolumeInfoLength, request.HttpContext.RequestAborted).ConfigureAwait(false);
            volumes.PutVolumeInfo(n, body);
            return Results.NoContent();
        }).Accepts<byte[]>("application/octet-stream").RequireRole(CredentialRole.Agent);

        v1.MapDelete("/volumes/{number}/info", (string number, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(http, n);
            volumes.DeleteVolumeInfo(n);
            return Results.NoContent();
        }).RequireRole(CredentialRole.Agent);

        v1.MapGet("/volume-infos", (HttpContext http) =>
            new VolumeInfoListing(volumes.DeviceId, scope.Filter(http, volumes.ListVolumeInfos(), r => checked((uint)r.Number))
                .Select(r => r.ToEntry(volumes.Digests.Get(checked((uint)r.Number))?.Root)).ToList()))
            .RequireRole(CredentialRole.ReadOnly);
    }

    /// <summary>The wire shape of <see cref="AssignRequest"/> with readOnly optional.</summary>
    private sealed record AssignBody(string Port, uint Lun, bool? ReadOnly, IReadOnlyList<string>? AllowedIdentities);

    private static uint ParseVolume(string text)
    {
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) || n == 0)
            Throw.Invalid("volume.bad_number", $"'{text}' is not a volume number (a whole number from 1)");
        return n;
    }

    private static uint ParseLun(string text)
    {
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n))
            Throw.Invalid("lun.bad_number", $"'{text}' is not a LUN (a whole number from 0)");
        return n;
    }

    /// <summary>Reads the body, but never more than limit+1 bytes: enough to say "too long" without buffering a flood.</summary>
    private static async Task<byte[]> ReadLimitedAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var buffer = new byte[limit + 1];
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await request.Body.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        if (total > limit)
        {
            long declared = request.ContentLength ?? -1;
            Throw.Invalid("volume_info.bad_length",
                $"volume information must be exactly {limit} bytes; got " + (declared > 0 ? $"{declared}" : $"more than {limit}"));
        }
        return buffer[..total];
    }
}
