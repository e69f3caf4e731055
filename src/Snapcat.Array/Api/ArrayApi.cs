using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.Volumes;
using Snapcat.Core.Errors;
using Snapcat.Core.Units;

namespace Snapcat.Array.Api;

/// <summary>Every route of the control API contract (ArrayContracts.cs), over a <see cref="VolumeManager"/>.</summary>
public static partial class ArrayApi
{
    public const string Version = "1";

    public static void MapArrayApi(this IEndpointRouteBuilder app, VolumeManager volumes)
    {
        var v1 = app.MapGroup("/v1");

        v1.MapGet("/array", () => new ArrayInfo(
            volumes.DeviceId,
            typeof(ArrayApi).Assembly.GetName().Version?.ToString() ?? Version,
            volumes.DataPorts.Select(p => new DataPortDto(p.ToString())).ToList(),
            checked((int)volumes.Count)));

        v1.MapGet("/volumes", (bool? info) =>
        {
            var list = volumes.List();
            return list.Select(v => v.ToDto(info == true && v.HasVolumeInfo ? volumes.GetVolumeInfo(v.Number) : null, info == true)).ToList();
        });

        v1.MapPost("/volumes", (CreateVolumeRequest? body) =>
        {
            if (body is null)
                Throw.Invalid("request.missing_body", "POST /v1/volumes needs a JSON body such as {\"size\":\"512M\"}");
            if (!ByteSize.TryParse(body.Size, out long size, out string? error))
                Throw.Invalid("size.invalid", error!);
            var v = volumes.Create(size);
            return Results.Created($"/v1/volumes/{v.Number}", v.ToDto());
        });

        v1.MapGet("/volumes/{number}", (string number) =>
        {
            uint n = ParseVolume(number);
            var v = volumes.Get(n);
            return v.ToDto(v.HasVolumeInfo ? volumes.GetVolumeInfo(n) : null, withInfo: true);
        });

        v1.MapDelete("/volumes/{number}", async (string number, bool? force) =>
        {
            await volumes.DeleteAsync(ParseVolume(number), force == true);
            return Results.NoContent();
        });

        v1.MapPost("/volumes/{number}/assignments", (string number, AssignRequest? body) =>
        {
            uint n = ParseVolume(number);
            if (body is null)
                Throw.Invalid("request.missing_body", "this route needs a JSON body such as {\"port\":\"127.0.0.1:10809\",\"lun\":1,\"readOnly\":false}");
            if (string.IsNullOrWhiteSpace(body.Port))
                Throw.Invalid("request.missing_port", "assignment needs 'port' (a data port address host:port)");
            var a = volumes.Assign(n, body.Port, body.Lun, body.ReadOnly);
            return Results.Created($"/v1/ports/{Uri.EscapeDataString(a.Port)}/luns/{a.Lun}", a.ToDto());
        });

        v1.MapDelete("/ports/{port}/luns/{lun}", (string port, string lun) =>
        {
            volumes.Release(Uri.UnescapeDataString(port), ParseLun(lun));
            return Results.NoContent();
        });

        v1.MapGet("/ports/{port}/luns/{lun}", (string port, string lun) =>
        {
            var a = volumes.GetLun(Uri.UnescapeDataString(port), ParseLun(lun));
            return new LunDto(a.Port, checked((uint)a.Lun), a.ReadOnly, checked((uint)a.Volume), volumes.DeviceId);
        });

        v1.MapGet("/volumes/{number}/info", (string number) =>
        {
            uint n = ParseVolume(number);
            byte[]? info = volumes.GetVolumeInfo(n);
            if (info is null)
                Throw.NotFound("volume_info.not_found", $"volume {n} has no volume information");
            return Results.Bytes(info, "application/octet-stream");
        }).Produces<byte[]>(200, "application/octet-stream");

        v1.MapPut("/volumes/{number}/info", async (string number, HttpRequest request) =>
        {
            uint n = ParseVolume(number);
            byte[] body = await ReadLimitedAsync(request, VolumeManager.VolumeInfoLength, request.HttpContext.RequestAborted);
            volumes.PutVolumeInfo(n, body);
            return Results.NoContent();
        }).Accepts<byte[]>("application/octet-stream");

        v1.MapDelete("/volumes/{number}/info", (string number) =>
        {
            volumes.DeleteVolumeInfo(ParseVolume(number));
            return Results.NoContent();
        });

        v1.MapGet("/volume-infos", () =>
            new VolumeInfoListing(volumes.DeviceId, volumes.ListVolumeInfos().Select(r => r.ToEntry()).ToList()));
    }

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
            int n = await request.Body.ReadAsync(buffer.AsMemory(total), ct);
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
