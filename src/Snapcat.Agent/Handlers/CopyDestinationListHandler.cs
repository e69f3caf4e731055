namespace Snapcat.Agent.Handlers;

/// <summary>
/// FIG. 8: acquire the copy-to volume list of a mount point, for the backup server's backup volume
/// table (FIG. 4).
/// </summary>
public sealed class CopyDestinationListHandler(AgentRuntime runtime)
{
    public async Task<CopyDestinationListDto> GetAsync(string? mountPoint, CancellationToken ct)
    {
        // Step 1600: the order, with the mount point attached.
        if (string.IsNullOrWhiteSpace(mountPoint))
            Throw.Invalid("request.missing_mount_point", "this route needs ?mountPoint=/path (a mount point of the port correspondence table)");

        // Steps 1601/1602: the port correspondence table (FIG. 3); no row → error report (step 1606).
        var source = await ProtectedVolume.ResolveAsync(runtime, mountPoint, ct).ConfigureAwait(false);

        // Step 1603: device ID → the array's control address (device-ID → LAN-address table), then
        // ask it for the copy destination list of the volume at our port/LUN.
        var array = runtime.ArrayFor(source.DeviceId);
        Snapcat.Contracts.Array.CopyDestinationsDto list;
        try
        {
            list = await array.GetCopyDestinationsAsync(source.Port, source.Lun, ct).ConfigureAwait(false);
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            // Step 1604: the array does not know the port/LUN → error report (step 1606).
            throw new SnapcatException(ErrorKind.NotFound, "copy_destinations.lun_unknown",
                $"array {source.DeviceId} does not know port {source.Port} LUN {source.Lun} of mount point {mountPoint} ({ex.Message})", ex);
        }

        // Step 1605: host name, mount point, device ID and the list go back to the server.
        return new CopyDestinationListDto(runtime.Config.HostName, mountPoint, list.DeviceId, list.Volume, list.CopyTo);
    }
}
