using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;
using Snapcat.Core.VolumeInformation;

namespace Snapcat.Array.Api;

/// <summary>
/// The content of the backup server's catalog volume (docs/disaster-recovery.md) through the control API, so the server
/// keeps its state copy on every array without an NBD assignment: <c>PUT /v1/volumes/{n}/content?offset=</c> writes the body
/// at that offset and answers only once it is durable; <c>GET …/content?offset=&amp;length=</c> reads a range. Bounded
/// (<see cref="MaxContentBytes"/> a request), admin only (the backup server's credential), and only on a volume whose volume
/// information is a valid record of kind <see cref="BackupKind.Catalog"/>: no control API call ever overwrites a backup or a
/// primary this way.
/// </summary>
public static partial class ArrayApi
{
    /// <summary>The most one content request reads or writes.</summary>
    public const int MaxContentBytes = 16 * 1024 * 1024;   // under Kestrel's default request body limit (30,000,000 bytes)

    private static void MapContentApi(RouteGroupBuilder v1, VolumeManager volumes)
    {
        v1.MapPut("/volumes/{number}/content", async (string number, string? offset, HttpRequest request) =>
        {
            uint n = ParseVolume(number);
            RequireCatalogVolume(volumes, n);
            long at = ParseOffset(offset);
            var ct = request.HttpContext.RequestAborted;
            byte[] body = await ReadContentAsync(request, ct).ConfigureAwait(false);
            var device = volumes.GetDevice(n);
            if (at + body.Length > device.Size)
                Throw.Invalid("content.out_of_range", $"{body.Length} bytes at offset {at} end past the end of volume {n} ({device.Size} bytes)");
            // Durability: the data is written, then flushed (fsync of the volume file) before the answer; the caller writes
            // the volume information (its record) only after this returned, so a record never claims data that is not there.
            await device.WriteAsync(at, body, WriteFlags.None, ct).ConfigureAwait(false);
            await device.FlushAsync(ct).ConfigureAwait(false);
            return Results.NoContent();
        }).Accepts<byte[]>("application/octet-stream").RequireRole(CredentialRole.Admin);

        v1.MapGet("/volumes/{number}/content", async (string number, string? offset, string? length, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            RequireCatalogVolume(volumes, n);
            long at = ParseOffset(offset);
            if (!int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > MaxContentBytes)
                Throw.Invalid("content.bad_length", $"length must be a whole number from 1 to {MaxContentBytes}, not '{length}'");
            var device = volumes.GetDevice(n);
            if (at + count > device.Size)
                Throw.Invalid("content.out_of_range", $"{count} bytes at offset {at} end past the end of volume {n} ({device.Size} bytes)");
            var buffer = new byte[count];
            await device.ReadAsync(at, buffer, http.RequestAborted).ConfigureAwait(false);
            return Results.Bytes(buffer, "application/octet-stream");
        }).Produces<byte[]>(200, "application/octet-stream").RequireRole(CredentialRole.Admin);
    }

    private static void RequireCatalogVolume(VolumeManager volumes, uint n)
    {
        byte[]? info = volumes.GetVolumeInfo(n);
        if (info is null || !VolumeInfoRecord.TryDecode(info, out var record, out _) || record!.Kind != BackupKind.Catalog)
            Throw.Conflict("content.not_catalog_volume",
                $"volume {n} is not a catalog volume (its volume information must be a valid record of kind catalog); " +
                "only the backup server's catalog volume is read and written through the control API");
    }

    private static long ParseOffset(string? text)
    {
        if (text is null) return 0;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long at))
            Throw.Invalid("content.bad_offset", $"offset must be a whole number of bytes from 0, not '{text}'");
        return at;
    }

    private static async Task<byte[]> ReadContentAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxContentBytes)
            Throw.Invalid("content.too_large", $"a content write carries at most {MaxContentBytes} bytes, not {request.ContentLength}");
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > MaxContentBytes)
                Throw.Invalid("content.too_large", $"a content write carries at most {MaxContentBytes} bytes");
            ms.Write(buffer, 0, n);
        }
        if (ms.Length == 0) Throw.Invalid("content.empty", "a content write needs a body (application/octet-stream)");
        return ms.ToArray();
    }
}
