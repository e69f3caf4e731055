using Snapcat.Contracts.Array;

namespace Snapcat.Server.Verify;

/// <summary>
/// Fills a catalog row's content digest from the array that holds the backup (issue 13): after a mirror or snapshot
/// backup is recorded and after a volume copy. The array computes the digest while it copies; an array that has none
/// for the volume (a snapshot, an array without digests) leaves the row without one until its first verify seals it.
/// Never fails the flow: the backup is made and recorded; a digest that cannot be fetched is a warning.
/// </summary>
public static class DigestRecorder
{
    /// <summary>The array's digest of <paramref name="volume"/>, recorded in row <paramref name="backupId"/>; returns it (null: none).</summary>
    public static async Task<string?> FillFromArrayAsync(ServerRuntime rt, long backupId, string deviceId, uint volume, JobContext job)
    {
        ArgumentNullException.ThrowIfNull(rt);
        ArgumentNullException.ThrowIfNull(job);
        var digest = await FetchAsync(rt.Remotes.ArrayFor(deviceId), deviceId, volume, job).ConfigureAwait(false);
        if (digest is null) return null;
        await rt.Data.SetDigestAsync(backupId, digest.Root, CancellationToken.None).ConfigureAwait(false);
        job.Info($"backup {backupId}: content digest {digest.Root} ({digest.Length} bytes, from the array's {digest.Source})");
        return digest.Root;
    }

    /// <summary>The array's digest of the volume, or null (none, or the array could not say: a warning in the job log).</summary>
    public static async Task<VolumeDigestDto?> FetchAsync(ArrayClient array, string deviceId, uint volume, JobContext job)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            var digest = await array.GetDigestAsync(volume, CancellationToken.None).ConfigureAwait(false);
            if (digest is null)
            {
                job.Info($"volume {volume} on {deviceId} has no content digest yet; the backup's first verify seals one");
                return null;
            }
            if (!Snapcat.Core.Integrity.ContentDigest.IsRootText(digest.Root))
            {
                job.Warn($"the array {deviceId} gave volume {volume} a content digest '{digest.Root}' that is not a sha256: root; not recorded");
                return null;
            }
            return digest;
        }
        catch (Exception e) when (e is SnapcatException or HttpRequestException)
        {
            job.Warn($"could not fetch the content digest of volume {volume} on {deviceId} ({e.Message}); the backup's first verify seals one");
            return null;
        }
    }
}
