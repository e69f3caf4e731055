using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.CopyFunctions;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Security;

namespace Snapcat.Array.Api;

// The copy functions' routes (ArrayContracts.cs, "Copy functions"): copy destination lists, copy and
// restore orders as jobs, snapshots. Thin: every check lives in CopyFunctionService.
public static partial class ArrayApi
{
    private static void MapCopyApi(RouteGroupBuilder v1, CopyFunctionService copy, ArrayScope scope, VolumeManager volumes)
    {
        v1.MapGet("/volumes/{number}/mirrors", (string number, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(http, n);
            return copy.ListMirrorDestinations(n);
        }).RequireRole(CredentialRole.ReadOnly);

        // Copy destination lists are the backup server's to arrange.
        v1.MapPost("/volumes/{number}/mirrors", async (string number, MirrorAddRequest? body) =>
        {
            uint n = ParseVolume(number);
            if (body is null || body.Secondary == 0)
                Throw.Invalid("request.missing_body", "this route needs a JSON body such as {\"secondary\":2} (the copy destination's volume number)");
            var dto = await copy.AddMirrorDestinationAsync(n, body.Secondary).ConfigureAwait(false);
            return Results.Created($"/v1/volumes/{n}/mirrors/{body.Secondary}", dto);
        }).RequireRole(CredentialRole.Admin);

        v1.MapDelete("/volumes/{number}/mirrors/{secondary}", async (string number, string secondary) =>
        {
            await copy.RemoveMirrorDestinationAsync(ParseVolume(number), ParseVolume(secondary)).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireRole(CredentialRole.Admin);

        v1.MapGet("/ports/{port}/luns/{lun}/mirrors", (string port, string lun, HttpContext http) =>
        {
            string p = Uri.UnescapeDataString(port);
            uint l = ParseLun(lun);
            scope.RequireVolumeAt(http, p, l);
            return copy.CopyDestinationsAt(p, l);
        }).RequireRole(CredentialRole.ReadOnly);

        // A copy order names the primary (by number or port/LUN) and the secondary: an agent must reach both.
        v1.MapPost("/copies", async (CopyOrder? body, HttpContext http) =>
        {
            if (body is null)
                Throw.Invalid("request.missing_body", "POST /v1/copies needs a JSON body such as {\"primary\":1,\"secondary\":2} or {\"port\":\"host:port\",\"lun\":1,\"secondary\":2}");
            if (body.Port is not null && body.Lun is uint lun) scope.RequireVolumeAt(http, body.Port, lun);
            if (body.Primary is uint primary) scope.RequireVolume(http, primary);
            scope.RequireVolume(http, body.Secondary);
            var job = await copy.OrderCopyAsync(body).ConfigureAwait(false);
            scope.RecordJob(http, job.Id);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Agent);

        // A restore writes the primary: an agent must reach the source and every volume it could be restored onto.
        v1.MapPost("/restores", async (RestoreOrder? body, HttpContext http) =>
        {
            if (body is null || body.Source == 0)
                Throw.Invalid("request.missing_body", "POST /v1/restores needs a JSON body such as {\"source\":2} (a mirror destination or a snapshot), optionally \"primary\" and \"force\"");
            scope.RequireVolume(http, body.Source);
            if (body.Primary is uint named) scope.RequireVolume(http, named);
            else if (scope.Reach(http) is not null)
            {
                var source = volumes.Get(body.Source);
                foreach (uint p in source.SourceVolume is uint s ? [s] : volumes.MirrorPrimariesOf(body.Source))
                    scope.RequireVolume(http, p);
            }
            var job = await copy.OrderRestoreAsync(body).ConfigureAwait(false);
            scope.RecordJob(http, job.Id);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Agent);

        v1.MapGet("/jobs", (HttpContext http) => copy.Jobs.List().Where(j => scope.MayReachJob(http, j.Id)).ToList())
            .RequireRole(CredentialRole.ReadOnly);
        v1.MapGet("/jobs/{id}", (string id, HttpContext http) =>
        {
            scope.RequireJob(http, id);
            return copy.Jobs.Get(id).Snapshot();
        }).RequireRole(CredentialRole.ReadOnly);
        v1.MapDelete("/jobs/{id}", (string id, HttpContext http) =>
        {
            scope.RequireJob(http, id);
            var job = copy.CancelJob(id);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        }).RequireRole(CredentialRole.Agent);

        v1.MapPost("/volumes/{number}/snapshots", async (string number, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(http, n);
            var s = await copy.CreateSnapshotAsync(n).ConfigureAwait(false);
            return Results.Created($"/v1/volumes/{s.Number}", s.ToDto());
        }).RequireRole(CredentialRole.Agent);

        v1.MapPost("/ports/{port}/luns/{lun}/snapshots", async (string port, string lun, HttpContext http) =>
        {
            uint source = scope.RequireVolumeAt(http, Uri.UnescapeDataString(port), ParseLun(lun));
            var s = await copy.CreateSnapshotAsync(source).ConfigureAwait(false);
            return Results.Created($"/v1/volumes/{s.Number}", s.ToDto());
        }).RequireRole(CredentialRole.Agent);

        v1.MapGet("/volumes/{number}/snapshots", (string number, HttpContext http) =>
        {
            uint n = ParseVolume(number);
            scope.RequireVolume(http, n);
            return copy.ListSnapshots(n).Select(s => s.ToDto()).ToList();
        }).RequireRole(CredentialRole.ReadOnly);
    }
}
