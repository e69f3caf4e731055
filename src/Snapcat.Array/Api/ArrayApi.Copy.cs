using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.CopyFunctions;
using Snapcat.Core.Errors;

namespace Snapcat.Array.Api;

// The copy functions' routes (ArrayContracts.cs, "Copy functions"): copy destination lists, copy and
// restore orders as jobs, snapshots. Thin: every check lives in CopyFunctionService.
public static partial class ArrayApi
{
    private static void MapCopyApi(RouteGroupBuilder v1, CopyFunctionService copy)
    {
        v1.MapGet("/volumes/{number}/mirrors", (string number) => copy.ListMirrorDestinations(ParseVolume(number)));

        v1.MapPost("/volumes/{number}/mirrors", async (string number, MirrorAddRequest? body) =>
        {
            uint n = ParseVolume(number);
            if (body is null || body.Secondary == 0)
                Throw.Invalid("request.missing_body", "this route needs a JSON body such as {\"secondary\":2} (the copy destination's volume number)");
            var dto = await copy.AddMirrorDestinationAsync(n, body.Secondary);
            return Results.Created($"/v1/volumes/{n}/mirrors/{body.Secondary}", dto);
        });

        v1.MapDelete("/volumes/{number}/mirrors/{secondary}", async (string number, string secondary) =>
        {
            await copy.RemoveMirrorDestinationAsync(ParseVolume(number), ParseVolume(secondary));
            return Results.NoContent();
        });

        v1.MapGet("/ports/{port}/luns/{lun}/mirrors", (string port, string lun) =>
            copy.CopyDestinationsAt(Uri.UnescapeDataString(port), ParseLun(lun)));

        v1.MapPost("/copies", async (CopyOrder? body) =>
        {
            if (body is null)
                Throw.Invalid("request.missing_body", "POST /v1/copies needs a JSON body such as {\"primary\":1,\"secondary\":2} or {\"port\":\"host:port\",\"lun\":1,\"secondary\":2}");
            var job = await copy.OrderCopyAsync(body);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapPost("/restores", async (RestoreOrder? body) =>
        {
            if (body is null || body.Source == 0)
                Throw.Invalid("request.missing_body", "POST /v1/restores needs a JSON body such as {\"source\":2} (a mirror destination or a snapshot), optionally \"primary\" and \"force\"");
            var job = await copy.OrderRestoreAsync(body);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapGet("/jobs", () => copy.Jobs.List());
        v1.MapGet("/jobs/{id}", (string id) => copy.Jobs.Get(id).Snapshot());
        v1.MapDelete("/jobs/{id}", (string id) =>
        {
            var job = copy.CancelJob(id);
            return Results.Accepted($"/v1/jobs/{job.Id}", job);
        });

        v1.MapPost("/volumes/{number}/snapshots", async (string number) =>
        {
            var s = await copy.CreateSnapshotAsync(ParseVolume(number));
            return Results.Created($"/v1/volumes/{s.Number}", s.ToDto());
        });

        v1.MapPost("/ports/{port}/luns/{lun}/snapshots", async (string port, string lun) =>
        {
            uint source = copy.VolumeAt(Uri.UnescapeDataString(port), ParseLun(lun));
            var s = await copy.CreateSnapshotAsync(source);
            return Results.Created($"/v1/volumes/{s.Number}", s.ToDto());
        });

        v1.MapGet("/volumes/{number}/snapshots", (string number) =>
            copy.ListSnapshots(ParseVolume(number)).Select(s => s.ToDto()).ToList());
    }
}
