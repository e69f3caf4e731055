using System.Globalization;
using Snapcat.Array.Integrity;
using Snapcat.Core.Integrity;
using Snapcat.Nbd;
using Snapcat.Nbd.Client;

namespace Snapcat.Array.VolumeCopy;

/// <summary>
/// The volume copy function (third embodiment, FIG. 19): copy a volume's data and then its volume
/// information, to another volume of this array or to a port address + LUN of another array.
///
///   3640 order received               (the route, or a test, calls one of the two methods)
///   3641 same array, or port + LUN?   -> CopyWithinArrayAsync / CopyToPeerAsync
///   3642 data written over NBD to the other array's port/LUN
///   3643 data copied between volumes of this array
///   3644 failed?  -> 3649 copy-error status: a SnapcatException (volume_copy.*)
///   3645/3646 other array: its control API records the volume information on the destination volume
///   3647 same array: the info row is copied in the management table
///   3648 success: the result
///
/// Failure policy: volume information describes the data beside it, so it is written last, after the
/// destination's data has been flushed. Before the first byte of data changes, the destination's old
/// volume information is removed: it would describe data that is being overwritten. A copy that fails
/// or is cancelled therefore leaves a destination with partial data and NO volume information, and
/// every error message says so. Checks that fail before any write (unknown peer, missing LUN, size
/// mismatch, wrong array) leave the destination untouched.
///
/// Content digests (docs/integrity.md): the data is hashed from the copy's own buffers as it goes (no second read of the
/// source) and compared with the source's kept digest when it has one; a difference fails the copy with
/// <c>digest.mismatch</c> naming the first differing offset. Within the array the destination then keeps the digest
/// (source <c>copy</c>). To another array the digest is handed over with <c>PUT /v1/volumes/{n}/digest?source=copy</c>:
/// that array reads what arrived on its volume and keeps the digest only if the data matches (409 <c>digest.mismatch</c>
/// otherwise). Either way, a mismatch leaves the destination with no digest and no volume information.
/// </summary>
public sealed class VolumeCopyHandler(PeerArrays peers, NbdClientOptions? nbdOptions = null)
{
    public const string FailedCode = "volume_copy.failed";

    // ---- 3641 -> 3643 -> 3647 ----

    public async Task<VolumeCopyResult> CopyWithinArrayAsync(string deviceId, VolumeCopySource source, LocalCopyDestination destination,
        VolumeCopyObserver? observer = null, CancellationToken ct = default)
    {
        observer ??= VolumeCopyObserver.None;
        string what = $"volume {source.Number} to volume {destination.Number} of this array";
        if (destination.Number == source.Number)
            Throw.Invalid("volume_copy.same_volume", $"cannot copy volume {source.Number} onto itself; name another destination volume");
        CheckSizes(source, destination.Device.Size, $"volume {destination.Number}");
        if (destination.Device.IsReadOnly)
            Throw.Conflict("volume_copy.destination_read_only", $"volume {destination.Number} is read-only here; nothing was copied");

        var expected = KeptDigestOf(source, what);
        var digest = new ChunkAssembler(new ContentDigestBuilder(source.Device.Size));
        // The destination's digest is durably gone before its first byte changes (its volume information too).
        using var rewrite = destination.Digests?.BeginRewrite(destination.Number);
        BlockCopier.Stats stats;
        try
        {
            destination.Table.DeleteVolumeInfo(destination.Number);
            observer.Log?.Invoke($"copying {what} ({source.Device.Size} bytes)");
            stats = await BlockCopier.CopyAsync(source.Device, destination.Device, observer.Progress, ct, digest).ConfigureAwait(false);
            // The data is durable before the row that describes it: a crash between the two leaves a
            // volume without information, never information naming data that is not there.
            await destination.Device.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            LogCancelled(observer, $"volume {destination.Number}");
            throw;
        }
        catch (Exception ex)
        {
            throw Failed(what, $"volume {destination.Number}", "copying the data", ex, ErrorKind.Internal);
        }
        var computed = digest.Builder.Finish();
        CheckAgainstSource(source, expected, computed, what, $"volume {destination.Number}");
        bool sealedHere = rewrite is not null && rewrite.TrySeal(computed, DigestStore.SourceCopy);
        if (rewrite is not null && !sealedHere)
            observer.Log?.Invoke($"volume {destination.Number} was written by someone else during the copy: it keeps no content digest");

        // 3647: copy the volume information into the destination's row.
        if (source.VolumeInfo is not null)
        {
            try { destination.Table.PutVolumeInfo(destination.Number, source.VolumeInfo); }
            catch (Exception ex) { throw Failed(what, $"volume {destination.Number}", "recording the volume information", ex, ErrorKind.Internal); }
        }
        observer.Log?.Invoke($"copied {what}: {stats.BytesCopied} bytes of data, {stats.BytesZeroed} bytes of holes" +
            (source.VolumeInfo is null ? "; the source has no volume information, so the destination has none" : "; volume information copied"));
        return new VolumeCopyResult(source.Number, deviceId, destination.Number, null, null, stats.Size, stats.BytesCopied, stats.BytesZeroed,
            source.VolumeInfo is not null, sealedHere ? computed.RootText : null, expected is not null);
    }

    // ---- 3641 -> 3642 -> 3646 ----

    public async Task<VolumeCopyResult> CopyToPeerAsync(VolumeCopySource source, PeerCopyDestination destination,
        VolumeCopyObserver? observer = null, CancellationToken ct = default)
    {
        observer ??= VolumeCopyObserver.None;
        string target = $"port {destination.Port} LUN {destination.Lun} of array {destination.DeviceId}";
        string what = $"volume {source.Number} to {target}";
        if (!NbdAddress.TryParse(destination.Port, out var address))
            Throw.Invalid("volume_copy.bad_port", $"'{destination.Port}' is not a data port address; write host:port, e.g. 127.0.0.1:10809");

        using var peer = peers.Open(destination.DeviceId);
        LunDto lun = await FindDestinationAsync(peer, destination, target, ct).ConfigureAwait(false);
        string destVolume = $"volume {lun.Volume} ({target})";

        NbdClient nbd;
        try
        {
            // The peer's own credentials, when its configuration names some: each array's data ports may hold other keys.
            var options = nbdOptions ?? new NbdClientOptions();
            if (peers.NbdTlsFor(destination.DeviceId) is { } tls) options = options with { Tls = tls };
            nbd = await NbdClient.ConnectAsync(address, lun.Lun.ToString(CultureInfo.InvariantCulture), options, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw new SnapcatException(ErrorKind.Remote, "volume_copy.destination_unreachable",
                $"cannot open {target} over NBD: {ex.Message}; nothing was copied and no volume information was written", ex);
        }
        await using var _ = nbd.ConfigureAwait(false);

        // The NBD Inquiry answer names the array and volume the port really reaches; it must be the one
        // the control API named, or data and information would land on different volumes.
        if (nbd.Details.Inquiry is { } inquiry && (inquiry.DeviceId != destination.DeviceId || inquiry.Volume != lun.Volume))
            Throw.Conflict("volume_copy.wrong_destination",
                $"{target} answers over NBD as device {inquiry.DeviceId} volume {inquiry.Volume}, but its control API says volume {lun.Volume}; nothing was copied");
        CheckSizes(source, nbd.Size, destVolume);
        if (nbd.IsReadOnly)
            Throw.Conflict("volume_copy.destination_read_only", $"{target} is assigned read-only; nothing was copied and no volume information was written");

        var expected = KeptDigestOf(source, what);
        var digest = new ChunkAssembler(new ContentDigestBuilder(source.Device.Size));
        BlockCopier.Stats stats;
        try
        {
            // Its digest goes with the volume information (and the first NBD write would drop it there anyway).
            await peer.DeleteVolumeInfoAsync(lun.Volume, ct).ConfigureAwait(false);
            observer.Log?.Invoke($"copying {what} (volume {lun.Volume} there, {source.Device.Size} bytes) over NBD");
            stats = await BlockCopier.CopyAsync(source.Device, nbd, observer.Progress, ct, digest).ConfigureAwait(false);
            // NBD FLUSH: the destination's data is durable before its array is told to record the
            // information that describes it (step 3646 follows).
            await nbd.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            LogCancelled(observer, destVolume);
            throw;
        }
        catch (Exception ex)
        {
            throw Failed(what, destVolume, "writing the data over NBD", ex, ErrorKind.Remote);
        }
        var computed = digest.Builder.Finish();
        CheckAgainstSource(source, expected, computed, what, destVolume);
        string? keptThere = await CheckOnArrivalAsync(destination, lun.Volume, expected ?? computed, what, destVolume, observer, ct).ConfigureAwait(false);

        // 3646: order the destination array to record the volume information on the destination volume.
        if (source.VolumeInfo is not null)
        {
            try { await peer.PutVolumeInfoAsync(lun.Volume, source.VolumeInfo, ct).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                throw Failed(what, destVolume, "sending the volume information", ex, ErrorKind.Remote);
            }
        }
        observer.Log?.Invoke($"copied {what}: {stats.BytesCopied} bytes of data, {stats.BytesZeroed} bytes of holes" +
            (source.VolumeInfo is null ? "; the source has no volume information, so the destination has none" : "; volume information recorded there"));
        return new VolumeCopyResult(source.Number, destination.DeviceId, lun.Volume, destination.Port, destination.Lun,
            stats.Size, stats.BytesCopied, stats.BytesZeroed, source.VolumeInfo is not null, keptThere, keptThere is not null);
    }

    /// <summary>The source's kept digest, read before anything is written: a damaged one fails the copy with nothing changed.</summary>
    private static ContentDigest? KeptDigestOf(VolumeCopySource source, string what)
    {
        try
        {
            return source.KeptDigest?.Invoke();
        }
        catch (SnapcatException ex)
        {
            throw new SnapcatException(ex.Kind, ex.Code,
                $"volume copy of {what} did not start: the source's content digest cannot be read ({ex.Message}); nothing was copied. A verify of volume {source.Number} tells whether its data or its digest is at fault", ex);
        }
    }

    /// <summary>The data the copy read must be what the source's digest describes.</summary>
    private static void CheckAgainstSource(VolumeCopySource source, ContentDigest? expected, ContentDigest computed, string what, string destination)
    {
        if (expected is null || computed.SameContentAs(expected)) return;
        long first = expected.DifferingChunks(computed).First() * ContentDigest.ChunkSize;
        Throw.Conflict(VolumeVerifier.MismatchCode,
            $"volume copy of {what} failed: the data read from volume {source.Number} differs from its content digest {expected.RootText} " +
            $"(first differing chunk at offset {first}). {destination} holds that data but has NO content digest and NO volume information");
    }

    /// <summary>
    /// Hands the digest to the destination array, which reads what arrived and keeps it only when it matches; returns the root
    /// kept there. A mismatch fails the copy (<c>digest.mismatch</c>, with the destination's first differing offset); a peer
    /// that cannot take digests is logged and the copy goes on without one there.
    /// </summary>
    private async Task<string?> CheckOnArrivalAsync(PeerCopyDestination destination, uint volume, ContentDigest digest, string what, string destVolume,
        VolumeCopyObserver observer, CancellationToken ct)
    {
        try
        {
            // The destination reads its whole volume before it answers: a timeout for the volume, not for a small call.
            using var check = peers.Open(destination.DeviceId, TimeSpan.FromSeconds(60) + TimeSpan.FromSeconds(digest.Length / (50L << 20)));
            var kept = await check.PutDigestAsync(volume, digest.Serialize(), DigestStore.SourceCopy, ct).ConfigureAwait(false);
            observer.Log?.Invoke($"{destVolume} checked the data that arrived against the content digest {kept.Root} and keeps it");
            return kept.Root;
        }
        catch (SnapcatException ex) when (ex.Code == VolumeVerifier.MismatchCode)
        {
            throw new SnapcatException(ErrorKind.Conflict, VolumeVerifier.MismatchCode,
                $"volume copy of {what} failed: the data that arrived differs from the content digest of what was sent: {ex.Message}. " +
                $"{destVolume} has NO content digest and NO volume information", ex);
        }
        catch (SnapcatException ex)
        {
            observer.Log?.Invoke($"{destVolume} could not check the data against its content digest ({ex.Code}: {ex.Message}); it keeps no digest");
            return null;
        }
    }

    /// <summary>FIG. 8 on the peer: which volume the port/LUN reaches, and that the answer comes from the array we meant.</summary>
    private static async Task<LunDto> FindDestinationAsync(ArrayClient peer, PeerCopyDestination destination, string target, CancellationToken ct)
    {
        LunDto lun;
        try
        {
            lun = await peer.GetLunAsync(destination.Port, destination.Lun, ct).ConfigureAwait(false);
        }
        catch (SnapcatException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            throw new SnapcatException(ErrorKind.NotFound, "volume_copy.destination_missing",
                $"{target} reaches no volume ({ex.Message}); assign a volume there first. Nothing was copied and no volume information was written", ex);
        }
        catch (SnapcatException ex) when (ex.Kind is not ErrorKind.Invalid)
        {
            throw new SnapcatException(ErrorKind.Remote, "volume_copy.peer_failed",
                $"cannot ask array {destination.DeviceId} which volume {target} reaches: {ex.Message}; nothing was copied", ex);
        }
        if (!string.Equals(lun.DeviceId, destination.DeviceId, StringComparison.Ordinal))
            Throw.Conflict("volume_copy.wrong_array",
                $"the peer configured as {destination.DeviceId} reports device ID {lun.DeviceId}; fix \"peers\" in the configuration. Nothing was copied");
        return lun;
    }

    private static void CheckSizes(VolumeCopySource source, long destinationSize, string destination)
    {
        if (source.Device.Size != destinationSize)
            Throw.Invalid("volume_copy.size_mismatch",
                $"volume {source.Number} has {source.Device.Size} bytes but {destination} has {destinationSize}; a volume copy needs a destination of the same size. Nothing was copied");
    }

    /// <summary>Step 3649: the copy-error status, saying what the destination holds now.</summary>
    private static SnapcatException Failed(string what, string destination, string step, Exception ex, ErrorKind kind)
    {
        return new SnapcatException(kind, FailedCode,
            $"volume copy of {what} failed while {step}: {ex.Message}. {destination} may hold partial data and has NO volume information", ex);
    }

    private static void LogCancelled(VolumeCopyObserver observer, string destination) =>
        observer.Log?.Invoke($"cancelled: {destination} may hold partial data and has no volume information");
}
