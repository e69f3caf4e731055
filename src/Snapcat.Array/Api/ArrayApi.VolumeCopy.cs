using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Snapcat.Array.Config;
using Snapcat.Array.ManagementTable;
using Snapcat.Array.VolumeCopy;
using Snapcat.Array.Volumes;
using Snapcat.ControlApi.Security;
using Snapcat.Core.Jobs;
using Snapcat.Core.Security;
using Snapcat.Nbd;

namespace Snapcat.Array.Api;

// POST /v1/volume-copies (FIG. 19). The order is checked here, synchronously, so that a wrong volume
// number, an unknown peer or a size mismatch is a 4xx answer; the copy itself runs as a job
// (VolumeCopyHandler) whose failure is the copy-error status of step 3649.
public static partial class ArrayApi
{
    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web);

    /// <param name="jobs">The daemon's job registry, so that GET /v1/jobs sees volume copies; without one, a private registry.</param>
    /// <param name="openDevice">Opens a volume's data for reading and writing. Default: <see cref="VolumeManager.GetDevice"/>,
    /// which is right for plain volumes; snapshot volumes need the snapshot engine's device and are refused as sources without it.</param>
    public static void MapVolumeCopyApi(this IEndpointRouteBuilder app, VolumeManager volumes,
        IReadOnlyDictionary<string, PeerArrayConfig> peers, JobRegistry? jobs = null, Func<uint, IBlockDevice>? openDevice = null)
    {
        jobs ??= new JobRegistry();
        var peerArrays = new PeerArrays(peers);
        var handler = new VolumeCopyHandler(peerArrays);

        app.MapPost("/v1/volume-copies", (VolumeCopyOrder? order) =>
        {
            if (order is null)
                Throw.Invalid("request.missing_body",
                    "POST /v1/volume-copies needs a JSON body: {\"source\":3,\"destinationVolume\":4} or " +
                    "{\"source\":3,\"destinationDeviceId\":\"ARRAY-02\",\"destinationPort\":\"host:port\",\"destinationLun\":1}");
            var src = volumes.Get(order.Source);
            if (src.Kind == VolumeKinds.Snapshot && openDevice is null)
                Throw.Invalid("volume_copy.snapshot_source", $"volume {src.Number} is a snapshot; copy it with the snapshot functions, or copy its source");
            if (volumes.OpenWriters(src.Number) > 0)
                Throw.Conflict("volume_copy.source_in_use",
                    $"volume {src.Number} has writers connected; a copy of a volume that changes meanwhile is no copy. Disconnect them or take a snapshot and copy that");

            var local = LocalDestination(order, volumes);
            byte[]? info = volumes.GetVolumeInfo(src.Number);
            Func<uint, IBlockDevice> open = openDevice ?? (n => volumes.GetDevice(n));
            var source = new VolumeCopySource(src.Number, open(src.Number), info, () => volumes.Digests.Load(src.Number)?.Digest);
            Job job;
            if (local is uint destNumber)
            {
                var dest = volumes.Get(destNumber);
                if (dest.Number == src.Number)
                    Throw.Invalid("volume_copy.same_volume", $"cannot copy volume {src.Number} onto itself; name another destination volume");
                if (dest.Kind == VolumeKinds.Snapshot)
                    Throw.Invalid("volume_copy.destination_snapshot", $"volume {dest.Number} is a snapshot and cannot be written");
                if (dest.Size != src.Size)
                    Throw.Invalid("volume_copy.size_mismatch",
                        $"volume {src.Number} has {src.Size} bytes but volume {dest.Number} has {dest.Size}; a volume copy needs a destination of the same size");
                if (volumes.OpenWriters(dest.Number) > 0)
                    Throw.Conflict("volume_copy.destination_in_use", $"volume {dest.Number} has writers connected; disconnect them before copying onto it");
                // Through a view without the digest hook: the copy drops the destination's digest itself and seals the new one.
                var destination = new LocalCopyDestination(dest.Number, volumes.GetDevice(dest.Number).ExcludingWithDigest(() => null),
                    new VolumeManagerInfoTable(volumes), volumes.Digests);
                job = jobs.Start("volume-copy", $"volume copy {src.Number} -> volume {dest.Number}", async ctx =>
                    JsonSerializer.SerializeToNode(await handler.CopyWithinArrayAsync(volumes.DeviceId, source, destination,
                        new VolumeCopyObserver(ctx.SetProgress, ctx.Info), ctx.CancellationToken).ConfigureAwait(false), ResultJson));
            }
            else
            {
                if (!peerArrays.Knows(order.DestinationDeviceId!))
                    peerArrays.Open(order.DestinationDeviceId!).Dispose();  // throws volume_copy.unknown_peer with the known peers listed
                var destination = new PeerCopyDestination(order.DestinationDeviceId!, order.DestinationPort!, order.DestinationLun!.Value);
                job = jobs.Start("volume-copy",
                    $"volume copy {src.Number} -> {destination.DeviceId} port {destination.Port} LUN {destination.Lun}", async ctx =>
                    JsonSerializer.SerializeToNode(await handler.CopyToPeerAsync(source, destination,
                        new VolumeCopyObserver(ctx.SetProgress, ctx.Info), ctx.CancellationToken).ConfigureAwait(false), ResultJson));
            }
            return Results.Accepted($"/v1/jobs/{job.Id}", job.Snapshot());
        }).RequireRole(CredentialRole.Admin);  // copies any volume onto any other, or off the array: the backup server's
    }

    /// <summary>
    /// FIG. 19 step 3641: the destination volume number on this array, or null for another array's port/LUN.
    /// A port/LUN of this array (or with this array's device ID) is resolved here, through the management table.
    /// </summary>
    private static uint? LocalDestination(VolumeCopyOrder order, VolumeManager volumes)
    {
        bool byPort = order.DestinationPort is not null || order.DestinationLun is not null;
        if (order.DestinationVolume is not null && byPort)
            Throw.Invalid("volume_copy.ambiguous_destination", "name the destination either by destinationVolume or by destinationPort + destinationLun, not both");
        bool ours = order.DestinationDeviceId is null || order.DestinationDeviceId == volumes.DeviceId;
        if (order.DestinationVolume is uint n)
        {
            if (!ours)
                Throw.Invalid("volume_copy.remote_volume_number",
                    $"a volume of array {order.DestinationDeviceId} is named by its port address and LUN (destinationPort, destinationLun), not by its volume number");
            return n;
        }
        if (!byPort)
            Throw.Invalid("volume_copy.no_destination", "the order names no destination: give destinationVolume, or destinationDeviceId + destinationPort + destinationLun");
        if (order.DestinationPort is null || order.DestinationLun is null)
            Throw.Invalid("volume_copy.incomplete_destination", "a destination by port needs both destinationPort (host:port) and destinationLun");
        if (!NbdAddress.TryParse(order.DestinationPort, out var port))
            Throw.Invalid("volume_copy.bad_port", $"'{order.DestinationPort}' is not a data port address; write host:port, e.g. 127.0.0.1:10809");
        if (ours && volumes.DataPorts.Contains(port))
            return checked((uint)volumes.GetLun(port.ToString(), order.DestinationLun.Value).Volume);
        if (order.DestinationDeviceId is null)
            Throw.Invalid("volume_copy.no_device_id",
                $"port {port} is not a data port of this array; name the array that has it (destinationDeviceId, one of the configuration's peers)");
        if (ours)
            Throw.Invalid("volume_copy.bad_port", $"port {port} is not a data port of this array ({string.Join(", ", volumes.DataPorts)})");
        return null;
    }

    /// <summary>Step 3647 writes into this array's management table.</summary>
    private sealed class VolumeManagerInfoTable(VolumeManager volumes) : IVolumeInfoTable
    {
        public void PutVolumeInfo(uint number, ReadOnlySpan<byte> info) => volumes.PutVolumeInfo(number, info);

        public void DeleteVolumeInfo(uint number) => volumes.DeleteVolumeInfo(number);
    }
}
