using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.Integrity;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Integrity;
using Snapcat.Core.Security;

namespace Snapcat.Array.Api;

// Content digests and verify (issue 13, docs/integrity.md). The backup server's routes: an agent's scoped credential
// is refused (403), like the other admin routes. Verify is a job; PUT reads the volume before it answers.
public static partial class ArrayApi
{
    private static void MapDigestApi(RouteGroupBuilder v1, CopyFunctionService copy, VolumeManager volumes)
    {
        var verifier = new VolumeVerifier(volumes, copy.OpenExportDevice);

        v1.MapGet("/volumes/{number}/digest", (string number) =>
        {
            uint n = ParseVolume(number);
            volumes.Get(n);  // 404 volume.not_found first
            var kept = volumes.Digests.Get(n) ?? throw NoDigest(n);
            return new VolumeDigestDto(n, ContentDigest.Algorithm, kept.Length, kept.Root, kept.SealedAt, kept.Source);
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/volumes/{number}/digest/file", (string number) =>
        {
            uint n = ParseVolume(number);
            volumes.Get(n);
            var loaded = volumes.Digests.Load(n) ?? throw NoDigest(n);
            return Results.Bytes(loaded.File, "application/octet-stream");
        }).Produces<byte[]>(200, "application/octet-stream").RequireRole(CredentialRole.Admin);

        // ?source=copy: a volume copy from another array hands over the source's digest; default: an import.
        v1.MapPut("/volumes/{number}/digest", async (string number, string? source, HttpRequest request) =>
        {
            uint n = ParseVolume(number);
            var v = volumes.Get(n);
            string src = source switch
            {
                null or "" or DigestStore.SourceImport => DigestStore.SourceImport,
                DigestStore.SourceCopy => DigestStore.SourceCopy,
                _ => throw new SnapcatException(ErrorKind.Invalid, "digest.bad_source", $"source '{source}' is not one of: import, copy"),
            };
            int expected = checked((int)(8 + 2 + 4 + 8 + (ContentDigest.ChunkCountFor(v.Size) * ContentDigest.HashSize) + (2 * ContentDigest.HashSize)));
            byte[] body = await ReadBodyAsync(request, expected, request.HttpContext.RequestAborted).ConfigureAwait(false);
            var kept = await verifier.ImportAsync(n, body, src, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return new VolumeDigestDto(n, ContentDigest.Algorithm, kept.Length, kept.Root, kept.SealedAt, kept.Source);
        }).Accepts<byte[]>("application/octet-stream").RequireRole(CredentialRole.Admin);

        v1.MapPost("/volumes/{number}/verify", (string number) =>
        {
            uint n = ParseVolume(number);
            volumes.Get(n);  // 404 before a job is made
            var job = copy.Jobs.Start("verify", $"verify volume {n}", async ctx =>
            {
                var r = await verifier.VerifyAsync(n, ctx.SetProgress, ctx.CancellationToken).ConfigureAwait(false);
                ctx.Info(r.Sealed ? $"sealed digest {r.Root} ({r.Bytes} bytes)"
                    : r.Matched ? $"matched digest {r.Root} ({r.Bytes} bytes)"
                    : $"MISMATCH: the data's digest is {r.Root}, the kept one {r.ExpectedRoot}; first differing offsets {string.Join(", ", r.DifferingOffsets)}");
                return JsonSerializer.SerializeToNode(r, ResultJson);
            });
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        }).RequireRole(CredentialRole.Admin);
    }

    private static SnapcatException NoDigest(uint n) => new(ErrorKind.NotFound, ArrayClient.DigestNotFoundCode,
        $"volume {n} has no content digest (never sealed, or written since); POST /v1/volumes/{n}/verify seals one");

    /// <summary>The body, which must be exactly <paramref name="expected"/> bytes (the digest file of the volume's size).</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int expected, CancellationToken ct)
    {
        var buffer = new byte[expected + 1];
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await request.Body.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        if (total != expected)
            Throw.Invalid("digest.size", $"a digest file of this volume's size is {expected} bytes; the body has {(total > expected ? "more" : total.ToString(System.Globalization.CultureInfo.InvariantCulture))}; nothing was kept");
        return buffer[..total];
    }
}
