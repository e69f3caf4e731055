using System.Globalization;
using Snapcat.Contracts.Array;

namespace Snapcat.Server.Import;

/// <summary>
/// A backup volume of another array (another server's) brought in by the existing volume copy (FIG. 19): the source
/// array copies the data into a new volume of the destination (assigned for the copy to a free LUN of its first data
/// port, released after), then the record and digest are proven and written as for an image (<see cref="BackupImport"/>).
/// The source array must know the destination as a peer (its <c>peers</c> section) and this server must know both.
/// </summary>
public sealed class VolumeImport(ServerRuntime rt)
{
    /// <summary>LUNs from here up are taken for the copy's assignment (below are the ones administrators give out).</summary>
    public const uint FirstCopyLun = 200;

    public async Task<ImportResult> RunAsync(ImportFromArrayRequest request, JobContext job)
    {
        var ct = job.CancellationToken;
        var source = rt.Remotes.ArrayFor(request.FromDeviceId);
        var destination = rt.Remotes.ArrayFor(request.DeviceId);
        var warnings = new List<string>();
        byte[] raw = await source.GetVolumeInfoAsync(request.Volume, ct).ConfigureAwait(false)
            ?? throw new SnapcatException(ErrorKind.Invalid, "import.no_record", $"volume {request.Volume} on {request.FromDeviceId} carries no volume information: it is no backup volume");
        var sourceVolume = await source.GetVolumeAsync(request.Volume, ct).ConfigureAwait(false);
        byte[]? digest = await source.GetDigestFileAsync(request.Volume, ct).ConfigureAwait(false);
        if (digest is null)
        {
            // The source has no digest yet: it seals one where the data is, so the copy can be proven against it.
            ArrayClient.EnsureSucceeded(await source.WaitForJobAsync((await source.StartVerifyAsync(request.Volume, ct).ConfigureAwait(false)).Id, ct: ct).ConfigureAwait(false));
            digest = await source.GetDigestFileAsync(request.Volume, ct).ConfigureAwait(false);
            warnings.Add($"{request.FromDeviceId} kept no digest of volume {request.Volume}; it sealed one before the copy");
        }
        var import = new BackupImport(rt);
        var identity = await import.ProveIdentityAsync(raw, digest, sourceVolume.Size, ct).ConfigureAwait(false);
        if (identity.Existing is { } same)
        {
            job.Info($"backup {same.BackupId} is in the catalog already as backup {same.Id}; nothing was done");
            return BackupImport.Already(same);
        }

        var created = await destination.CreateVolumeAsync(sourceVolume.Size.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        try
        {
            var info = await destination.GetArrayAsync(ct).ConfigureAwait(false);
            string port = info.DataPorts.FirstOrDefault()?.Address
                ?? throw new SnapcatException(ErrorKind.Invalid, "import.no_data_port", $"{request.DeviceId} has no data port for the copy to write through");
            var used = (await destination.ListVolumesAsync(false, ct).ConfigureAwait(false)).SelectMany(v => v.Assignments).Where(a => a.Port == port).Select(a => a.Lun).ToHashSet();
            uint lun = FirstCopyLun;
            while (used.Contains(lun)) lun++;
            await destination.AssignAsync(created.Number, port, lun, readOnly: false, ct).ConfigureAwait(false);
            try
            {
                job.Info($"copying volume {request.Volume} of {request.FromDeviceId} into volume {created.Number} of {request.DeviceId} (port {port} LUN {lun})");
                var started = await source.StartVolumeCopyAsync(new VolumeCopyOrder(request.Volume, null, request.DeviceId, port, lun), ct).ConfigureAwait(false);
                ArrayClient.EnsureSucceeded(await source.WaitForJobAsync(started.Id, new RemoteJobRelay(job), ct: ct).ConfigureAwait(false));
            }
            finally
            {
                await destination.ReleaseAsync(port, lun, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException or IOException or OperationCanceledException)
        {
            await import.DeleteQuietlyAsync(destination, request.DeviceId, created.Number).ConfigureAwait(false);
            throw;
        }
        return await import.FinishAsync(destination, request.DeviceId, created.Number, identity, digest, warnings, job, ct).ConfigureAwait(false);
    }
}
