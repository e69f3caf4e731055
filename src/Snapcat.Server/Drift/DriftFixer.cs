using System.Globalization;
using Snapcat.Contracts.Array;
using Snapcat.Server.Flows;
using Snapcat.Server.Jobs;

namespace Snapcat.Server.Drift;

/// <summary>
/// The one fix of each finding kind (docs/drift.md). Failure policy: a fix first checks its finding again against the
/// catalog and the array or library as they are now; when the finding is gone or anything either side says changed
/// since the check (its fingerprint), nothing is done (<c>drift.stale</c>, 409) and the operator is told to check again.
/// A fix that cannot act safely (a protected backup without force, a backup run going for an orphan) is refused with
/// a 409 and changes nothing. A finding that was fixed is removed from the stored findings at once.
/// </summary>
public sealed class DriftFixer(ServerRuntime rt, ServerOperations ops, DriftStore store)
{
    private DriftChecker Checker => new(rt, () => ops.AnyRunning);

    /// <summary>Whether the server has <c>POST /v1/backups/{id}/verify</c>; the digest fix then names it for the verify history.</summary>
    public Func<bool> HasBackupVerify { get; init; } = () => false;

    private string VerifyHint(long? backup) => HasBackupVerify()
        ? $" 'snapcat backup verify {backup}' (POST /v1/backups/{backup}/verify) verifies it again and keeps the result in its verification history."
        : " This server has no POST /v1/backups/{id}/verify route, so the fix verified on the array directly and no verification history was kept.";

    public async Task<DriftFixResult> FixAsync(string id, DriftFixRequest request, CancellationToken ct)
    {
        var stored = await store.GetAsync(id, ct).ConfigureAwait(false);
        if (stored is null)
            Throw.NotFound("drift.not_found", $"no drift finding {id}; 'snapcat drift check' finds them and 'snapcat drift list' lists them");
        var f = stored.Finding;
        var current = await Checker.RecheckAsync(f.Kind, f.Target, f.DeviceId, ct).ConfigureAwait(false);
        if (current is null)
        {
            await store.DeleteAsync(id, ct).ConfigureAwait(false);
            Throw.Conflict("drift.stale", $"finding {id} ({f.Kind} at {f.Target}) is no longer there: nothing was done. 'snapcat drift check' shows what is found now");
        }
        if (current.Fingerprint != stored.Fingerprint)
            Throw.Conflict("drift.stale",
                $"finding {id} ({f.Kind} at {f.Target}) changed since the check (now the catalog says: {current.Catalog}; the storage: {current.Storage}): nothing was done. " +
                "Run 'snapcat drift check' and look at it again");
        var result = current.Kind switch
        {
            DriftKinds.VolumeGone => await DropRowAsync(current, request, ct).ConfigureAwait(false),
            DriftKinds.RecordNotInCatalog => await AddRowAsync(current, ct).ConfigureAwait(false),
            DriftKinds.RecordChanged => await ReconcileRecordAsync(current, request, ct).ConfigureAwait(false),
            DriftKinds.OrphanSnapshot => await DeleteOrphanAsync(current, ct).ConfigureAwait(false),
            DriftKinds.CartridgeDamaged => await RecopyCartridgeAsync(current, ct).ConfigureAwait(false),
            DriftKinds.DigestDiffers => await VerifyAsync(current, ct).ConfigureAwait(false),
            _ => throw new SnapcatException(ErrorKind.Invalid, "drift.kind_unknown", $"finding {id} is of kind {current.Kind}, which this server cannot fix"),
        };
        if (result.Outcome is "fixed" or "started") await store.DeleteAsync(id, ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Every stored finding of <paramref name="request"/>'s kind, one by one; a refused or stale one is a result, not an error.</summary>
    public async Task<IReadOnlyList<DriftFixResult>> FixAllAsync(DriftFixAllRequest request, CancellationToken ct)
    {
        if (!DriftKinds.IsKnown(request.Kind))
            Throw.Invalid("drift.kind_unknown", $"'{request.Kind}' is not a finding kind; one of {string.Join(", ", DriftKinds.All)}");
        var results = new List<DriftFixResult>();
        foreach (var s in await store.ListStoredAsync(request.Kind, ct).ConfigureAwait(false))
        {
            try
            {
                results.Add(await FixAsync(s.Finding.Id, new DriftFixRequest(request.Force, request.KeepCatalog), ct).ConfigureAwait(false));
            }
            catch (SnapcatException e) when (e.Kind is ErrorKind.Conflict or ErrorKind.NotFound or ErrorKind.Invalid or ErrorKind.Remote)
            {
                results.Add(new DriftFixResult(s.Finding.Id, s.Finding.Kind, s.Finding.Target, e.Code == "drift.stale" ? "stale" : "refused", $"{e.Message} ({e.Code})"));
            }
        }
        return results;
    }

    private static DriftFixResult Done(DriftFinding f, string message, string outcome = "fixed", IReadOnlyList<string>? jobs = null, IReadOnlyList<string>? lost = null) =>
        new(f.Id, f.Kind, f.Target, outcome, message, jobs, lost);

    private static uint Volume(DriftFinding f) => uint.Parse(f.MediaId!, NumberStyles.None, CultureInfo.InvariantCulture);

    // (a) The volume is gone: the row goes; a protected backup's only with force (it may come back from elsewhere).
    private async Task<DriftFixResult> DropRowAsync(DriftFinding f, DriftFixRequest request, CancellationToken ct)
    {
        var row = await BackupRows.GetAsync(rt.Data, f.BackupId!.Value, ct).ConfigureAwait(false);
        if (row.IsProtectedAt(rt.Time.GetUtcNow()) && !request.Force)
            Throw.Conflict("drift.protected", $"backup {row.Id} is protected; its volume is gone from {f.DeviceId}, but its row is dropped only with --force");
        await rt.Data.DeleteAtAsync(f.DeviceId, f.MediaId!, ct).ConfigureAwait(false);
        return Done(f, $"dropped the row of backup {row.Id} ({row.Host}:{row.MountPoint} '{row.Label}'), whose volume {f.MediaId} is gone from {f.DeviceId}");
    }

    // (b) A record the catalog lacks: the row made from it, as a rebuild would make it (its ID back when free).
    private async Task<DriftFixResult> AddRowAsync(DriftFinding f, CancellationToken ct)
    {
        var array = rt.Remotes.ArrayFor(f.DeviceId);
        uint n = Volume(f);
        byte[] raw = await array.GetVolumeInfoAsync(n, ct).ConfigureAwait(false)
            ?? throw new SnapcatException(ErrorKind.Conflict, "drift.stale", $"volume {n} on {f.DeviceId} has no volume information any more: nothing was done");
        var volume = await array.GetVolumeAsync(n, ct).ConfigureAwait(false);
        var row = BackupRows.FromRecord(raw, f.DeviceId, n);
        if (BackupRows.KindName(BackupKind.Snapshot) == row.Kind && volume.Kind != "snapshot" && row.Origin != BackupOrigin.Copy)
            row = row with { Origin = BackupOrigin.Copy };   // as the rebuild does (issue 15.2)
        row = row with { Digest = await KeptDigestAsync(array, n, ct).ConfigureAwait(false) };
        long id = await rt.Data.RecordAsync(row, ct).ConfigureAwait(false);
        return Done(f, $"added backup {id} ({row.Host}:{row.MountPoint} '{row.Label}') from the record on volume {n} of {f.DeviceId}");
    }

    // (c) A changed record: the array's into the row (ID, protection and digest kept), or with keep-catalog the row's to the array.
    private async Task<DriftFixResult> ReconcileRecordAsync(DriftFinding f, DriftFixRequest request, CancellationToken ct)
    {
        var array = rt.Remotes.ArrayFor(f.DeviceId);
        uint n = Volume(f);
        var row = await BackupRows.GetAsync(rt.Data, f.BackupId!.Value, ct).ConfigureAwait(false);
        if (request.KeepCatalog)
        {
            if (!VolumeInfoRecord.TryDecode(row.VolumeInfo, out _, out string? why))
                Throw.Conflict("drift.catalog_record_invalid", $"backup {row.Id}'s record in the catalog {why}; it cannot be written to the array. Fix without --keep-catalog");
            await array.PutVolumeInfoAsync(n, row.VolumeInfo, ct).ConfigureAwait(false);
            return Done(f, $"wrote backup {row.Id}'s record from the catalog to volume {n} on {f.DeviceId}");
        }
        byte[] raw = await array.GetVolumeInfoAsync(n, ct).ConfigureAwait(false)
            ?? throw new SnapcatException(ErrorKind.Conflict, "drift.stale", $"volume {n} on {f.DeviceId} has no volume information any more: nothing was done");
        var fresh = BackupRows.FromRecord(raw, f.DeviceId, n) with { Id = row.Id, Digest = row.Digest };
        var volume = await array.GetVolumeAsync(n, ct).ConfigureAwait(false);
        if (fresh.Kind == BackupRows.KindName(BackupKind.Snapshot) && volume.Kind != "snapshot" && fresh.Origin != BackupOrigin.Copy)
            fresh = fresh with { Origin = BackupOrigin.Copy };
        long id = await rt.Data.RecordAsync(fresh, ct).ConfigureAwait(false);
        if (row.Protected) await rt.Data.SetProtectionAsync(id, true, row.ProtectedUntil, ct).ConfigureAwait(false);
        return Done(f, $"took the record on volume {n} of {f.DeviceId} into backup {id}'s row");
    }

    // (d) An orphan snapshot: deleted, with the orphan delete's own checks, never while a backup runs.
    private async Task<DriftFixResult> DeleteOrphanAsync(DriftFinding f, CancellationToken ct)
    {
        if (ops.AnyRunning)
            Throw.Conflict("orphans.backup_running", "a backup run is going; its snapshot may not have its volume information yet. Fix orphans when no backup runs");
        var array = rt.Remotes.ArrayFor(f.DeviceId);
        uint n = Volume(f);
        var volume = await array.GetVolumeAsync(n, ct).ConfigureAwait(false);
        if (volume.Kind != "snapshot" || volume.HasVolumeInfo || volume.Assignments.Count > 0 || await array.GetVolumeInfoAsync(n, ct).ConfigureAwait(false) is not null)
            Throw.Conflict("drift.stale", $"volume {n} on {f.DeviceId} is no orphan snapshot any more (it has a record or an assignment): nothing was done");
        await array.DeleteVolumeAsync(n, force: false, ct).ConfigureAwait(false);
        return Done(f, $"deleted orphan snapshot volume {n} on {f.DeviceId}");
    }

    // (e) A damaged cartridge: what still has a disk copy is copied to tape again, the rows on the cartridge go, the rest is listed as lost.
    private async Task<DriftFixResult> RecopyCartridgeAsync(DriftFinding f, CancellationToken ct)
    {
        var library = rt.TapeLibraryOrThrow();
        var tapeRows = DriftChecker.RowsOn(await rt.Data.SearchAllAsync(new BackupDataFilter { DeviceId = library.LibraryId }, ct).ConfigureAwait(false), f.MediaId!);
        var jobs = new List<string>();
        var lost = new List<string>();
        var notes = new List<string>();
        foreach (var t in tapeRows.OrderBy(r => r.Id))
        {
            var disk = (await rt.Data.SearchAllAsync(new BackupDataFilter { Host = t.Host, MountPoint = t.MountPoint }, ct).ConfigureAwait(false))
                .Where(r => r.BackupId == t.BackupId && r.DeviceId != library.LibraryId).OrderBy(r => r.Id).FirstOrDefault();
            if (disk is null)
            {
                lost.Add($"backup {t.Id} ({t.MediaId}, {t.Host}:{t.MountPoint} '{t.Label}', backup ID {t.BackupId})");
                continue;
            }
            try
            {
                var job = await ops.StartTapeCopyAsync(disk.Id, new TapeCopyRequest(), ct).ConfigureAwait(false);
                jobs.Add(job.Id);
                notes.Add($"backup {t.Id} copied again from backup {disk.Id} on {disk.DeviceId} (job {job.Id})");
            }
            catch (SnapcatException e)
            {
                lost.Add($"backup {t.Id} ({t.MediaId}): its disk copy {disk.Id} could not be copied again: {e.Message} ({e.Code})");
            }
        }
        foreach (var t in tapeRows) await rt.Data.DeleteAtAsync(t.DeviceId, t.MediaId, ct).ConfigureAwait(false);
        string message = $"cartridge {f.MediaId}: dropped {tapeRows.Count} row(s) on it" + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "")
            + (lost.Count > 0 ? $"; {lost.Count} backup(s) have no other copy and are lost" : "");
        return Done(f, message, jobs.Count > 0 ? "started" : "fixed", jobs, lost);
    }

    // (f) Digests differ: the array verifies the volume against its kept digest; when the data matches it, the catalog gets that digest.
    private async Task<DriftFixResult> VerifyAsync(DriftFinding f, CancellationToken ct)
    {
        var array = rt.Remotes.ArrayFor(f.DeviceId);
        uint n = Volume(f);
        JobSnapshot started;
        try
        {
            started = await array.StartVerifyAsync(n, ct).ConfigureAwait(false);
        }
        catch (SnapcatException e) when (e.Kind == ErrorKind.NotFound)
        {
            return Done(f, $"array {f.DeviceId} cannot verify volume {n} ({e.Message}); nothing was changed. Verify backup {f.BackupId} once the array can ('snapcat backup verify {f.BackupId}')", "refused");
        }
        var done = ArrayClient.EnsureSucceeded(await array.WaitForJobAsync(started.Id, ct: ct).ConfigureAwait(false));
        var verify = array.ResultOf<VolumeVerifyResult>(done);
        var row = await BackupRows.GetAsync(rt.Data, f.BackupId!.Value, ct).ConfigureAwait(false);
        if (verify.Matched)
        {
            // The data is what the array's digest says: the catalog's digest was the wrong one.
            await rt.Data.SetDigestAsync(row.Id, verify.Root, ct).ConfigureAwait(false);
            return Done(f, $"verified volume {n} on {f.DeviceId} on the array ({verify.Bytes} bytes): its data matches the array's digest {verify.Root}; backup {row.Id}'s row now has it." + VerifyHint(row.Id));
        }
        if (string.Equals(verify.Root, row.Digest, StringComparison.Ordinal))
            return Done(f, $"volume {n} on {f.DeviceId} matches the catalog's digest {row.Digest}, not the one the array keeps ({verify.ExpectedRoot}): the array's digest is wrong. " +
                "Nothing was changed; seal the volume's digest again on the array." + VerifyHint(row.Id), "refused");
        return Done(f, $"volume {n} on {f.DeviceId} matches neither the array's digest ({verify.ExpectedRoot}) nor the catalog's ({row.Digest}); the data gives {verify.Root}" +
            (verify.DifferingOffsets.Count > 0 ? $", first differing bytes at {string.Join(", ", verify.DifferingOffsets)}" : "") +
            $": backup {row.Id}'s data is damaged. Nothing was changed; restore from another copy." + VerifyHint(row.Id), "refused");
    }

    private static async Task<string?> KeptDigestAsync(ArrayClient array, uint n, CancellationToken ct)
    {
        try { return (await array.GetDigestAsync(n, ct).ConfigureAwait(false))?.Root; }
        catch (SnapcatException e) when (e.Kind == ErrorKind.NotFound) { return null; }
    }
}
