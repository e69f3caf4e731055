using System.Text.Json.Nodes;
using Snapcat.Array.ManagementTable;
using Snapcat.Array.Mirror;
using Snapcat.Core.Jobs;

namespace Snapcat.Array.CopyFunctions;

// Copy orders (FIG. 10), restore orders (FIG. 12) and volume deletion with its engine files.
public sealed partial class CopyFunctionService
{
    /// <summary>The volume at a data port + LUN (how an agent knows its volume; FIG. 8).</summary>
    public uint VolumeAt(string port, uint lun) => checked((uint)_volumes.GetLun(port, lun).Volume);

    public CopyDestinationsDto CopyDestinationsAt(string port, uint lun)
    {
        var a = _volumes.GetLun(port, lun);
        uint v = checked((uint)a.Volume);
        return new CopyDestinationsDto(_volumes.DeviceId, a.Port, lun, v, _volumes.MirrorDestinationsOf(v));
    }

    /// <summary>
    /// Starts a point-in-time copy primary → secondary and returns once its point in time is taken
    /// (so host writes after the 202 are not in the copy). A destination not in the list is refused
    /// before anything is touched.
    /// </summary>
    public async Task<JobSnapshot> OrderCopyAsync(CopyOrder order)
    {
        uint primary = ResolvePrimary(order);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var entry = GetPair(primary, order.Secondary);
            int writers = _volumes.OpenWriters(order.Secondary);
            if (writers > 0)
                Throw.Conflict("mirror.destination_in_use",
                    $"volume {order.Secondary} has {writers} read-write connection(s); hosts must not write a copy destination, so the copy was not started");
            return await StartPairJobAsync(entry, primary, order.Secondary, MirrorDirection.Copy).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Restores a backup volume: a mirror secondary is copied back onto its primary, a snapshot rolls
    /// its source back. Refused while the volume to be overwritten has writers, unless forced.
    /// </summary>
    public async Task<JobSnapshot> OrderRestoreAsync(RestoreOrder order)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var rec = _volumes.GetRecord(order.Source);
            if (rec.Kind == VolumeKinds.Snapshot)
                return StartRollback(order, rec);

            var primaries = _volumes.MirrorPrimariesOf(order.Source);
            if (primaries.Count == 0)
                Throw.Invalid("restore.not_a_backup",
                    $"volume {order.Source} is neither a snapshot nor in any volume's copy destination list; there is nothing to restore it onto");
            uint primary;
            if (order.Primary is uint named)
            {
                if (!primaries.Contains(named))
                    Throw.Invalid("restore.wrong_primary",
                        $"volume {order.Source} is a copy destination of volume(s) {string.Join(", ", primaries)}, not of volume {named}");
                primary = named;
            }
            else if (primaries.Count == 1) primary = primaries[0];
            else
            {
                Throw.Invalid("restore.ambiguous",
                    $"volume {order.Source} is a copy destination of volumes {string.Join(", ", primaries)}; name the one to restore with 'primary'");
                return null!;
            }
            CheckWriters(primary, order.Force);
            var entry = GetPair(primary, order.Source);
            return await StartPairJobAsync(entry, primary, order.Source, MirrorDirection.Restore).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public JobSnapshot CancelJob(string id)
    {
        var job = _jobs.Get(id);
        job.Cancel();
        return job.Snapshot();
    }

    private void CheckWriters(uint volume, bool force)
    {
        int writers = _volumes.OpenWriters(volume);
        if (writers > 0 && !force)
            Throw.Conflict("restore.writers_connected",
                $"volume {volume} has {writers} read-write connection(s); a restore would overwrite data under them. Disconnect the hosts first, or force the restore");
    }

    private uint ResolvePrimary(CopyOrder order)
    {
        bool byPort = order.Port is not null || order.Lun is not null;
        if (byPort && (order.Port is null || order.Lun is null))
            Throw.Invalid("copy.bad_order", "a copy order by data port needs both 'port' and 'lun'");
        if (!byPort && order.Primary is null)
            Throw.Invalid("copy.bad_order", "a copy order needs the primary: 'primary' (a volume number) or 'port' + 'lun'");
        uint primary = byPort ? VolumeAt(order.Port!, order.Lun!.Value) : order.Primary!.Value;
        if (byPort && order.Primary is uint p && p != primary)
            Throw.Invalid("copy.bad_order", $"port {order.Port} LUN {order.Lun} reaches volume {primary}, but the order names primary {p}");
        return primary;
    }

    private async Task<JobSnapshot> StartPairJobAsync(PairEntry entry, uint primary, uint secondary, MirrorDirection direction)
    {
        bool copy = direction == MirrorDirection.Copy;
        string kind = copy ? "mirror-copy" : "mirror-restore";
        string description = copy ? $"copy volume {primary} to volume {secondary}" : $"restore volume {primary} from volume {secondary}";
        MarkBusy(description, primary, secondary);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool pointInTime = false;
        Job job;
        try
        {
            entry.JobId = "starting";
            entry.OperationsSinceOpen++;
            job = _jobs.Start(kind, description, async ctx =>
            {
                try
                {
                    void Progress(long done, long total)
                    {
                        ctx.SetProgress(done, total);
                        if (!Volatile.Read(ref pointInTime))
                        {
                            // MirrorPair reports progress first right after the point in time is taken.
                            Volatile.Write(ref pointInTime, true);
                            ctx.Info("point in time taken: copy-before-write is on, hosts may write the source again");
                        }
                        started.TrySetResult();
                    }
                    var r = copy
                        ? await entry.Pair.CopyAsync(Progress, ct: ctx.CancellationToken).ConfigureAwait(false)
                        : await entry.Pair.RestoreAsync(Progress, ct: ctx.CancellationToken).ConfigureAwait(false);
                    entry.LastError = null;
                    string msg = $"{(r.Full ? "full" : "incremental")} {(copy ? "copy" : "restore")}: {r.Chunks} chunk(s), {r.BytesCopied} bytes copied, {r.BytesTrimmed} bytes of holes trimmed, {r.Elapsed.TotalSeconds:0.0} s";
                    ctx.Info(msg);
                    LogJob(ctx.JobId, kind, msg);
                    return new JsonObject
                    {
                        ["primary"] = primary,
                        ["secondary"] = secondary,
                        ["full"] = r.Full,
                        ["chunks"] = r.Chunks,
                        ["bytesCopied"] = r.BytesCopied,
                        ["bytesTrimmed"] = r.BytesTrimmed,
                    };
                }
                catch (Exception ex)
                {
                    entry.LastError = ex.Message;
                    throw;
                }
                finally
                {
                    lock (_sync) entry.JobId = null;
                    Unbusy(primary, secondary);
                    started.TrySetResult();
                }
            });
        }
        catch
        {
            entry.JobId = null;
            Unbusy(primary, secondary);
            throw;
        }
        Track(job);
        lock (_sync)
            if (entry.JobId == "starting") entry.JobId = job.Id;
        await started.Task.ConfigureAwait(false);
        // The answer confirms the copy has begun (an agent ends its freeze on it, FIG. 10 / issue 15.4);
        // a job that failed before its point in time is answered in its final, failed state instead.
        if (!Volatile.Read(ref pointInTime)) await job.Completion.ConfigureAwait(false);
        return job.Snapshot();
    }

    private JobSnapshot StartRollback(RestoreOrder order, VolumeRecord snapshot)
    {
        uint snap = order.Source;
        uint source = checked((uint)(snapshot.SourceNumber ?? 0));
        CheckWriters(source, order.Force);
        EngineEntry? e;
        lock (_sync) _engines.TryGetValue(source, out e);
        if (e is null) Throw.NotFound("snapshot.not_found", $"snapshot {snap} has no engine open");
        string description = $"roll volume {source} back to snapshot {snap}";
        MarkBusy(description, source, snap);
        try
        {
            var device = _volumes.GetDevice(source);
            var job = _jobs.Start("snapshot-rollback", description, async ctx =>
            {
                try
                {
                    // Through the hooked device: newer snapshots preserve what is overwritten, and
                    // mirror tracking sees the change.
                    long chunks = await e.Engine.RollbackAsync(snap, device, ctx.CancellationToken).ConfigureAwait(false);
                    long bytes = chunks * e.Engine.Geometry.ChunkSize;
                    ctx.SetProgress(bytes, bytes);
                    ctx.Info($"rolled back {chunks} chunk(s) changed since snapshot {snap}");
                    return new JsonObject { ["volume"] = source, ["snapshot"] = snap, ["chunks"] = chunks };
                }
                finally
                {
                    Unbusy(source, snap);
                }
            });
            Track(job);
            return job.Snapshot();
        }
        catch
        {
            Unbusy(source, snap);
            throw;
        }
    }

    private void Track(Job job)
    {
        lock (_sync) _running.Add(job);
        _ = job.Completion.ContinueWith(_ => { lock (_sync) _running.Remove(job); }, TaskScheduler.Default);
    }

    /// <summary>
    /// DELETE /v1/volumes/{n}: rows first (VolumeManager), then the engine files. A snapshot's
    /// preserved data goes to its older neighbour; a volume's snapshots and pairs go with it (force).
    /// Refused while a copy, restore or rollback involves any of them.
    /// </summary>
    public async Task DeleteVolumeAsync(uint number, bool force)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var rec = _volumes.GetRecord(number);
            var involved = new List<uint> { number };
            if (force) involved.AddRange(_volumes.Get(number).Snapshots);
            CheckNotBusy(involved);
            if (rec.Kind != VolumeKinds.Snapshot)
            {
                foreach (uint s in _volumes.MirrorDestinationsOf(number)) CheckNotBusy([s]);
                foreach (uint p in _volumes.MirrorPrimariesOf(number)) CheckNotBusy([p]);
            }
            var deleted = await _volumes.DeleteAsync(number, force).ConfigureAwait(false);
            if (deleted.Kind == VolumeKinds.Snapshot)
            {
                EngineEntry? e = null;
                if (deleted.SourceVolume is uint src) lock (_sync) _engines.TryGetValue(src, out e);
                if (e is not null) await e.Engine.DeleteAsync(number).ConfigureAwait(false);
                return;
            }
            foreach (uint s in deleted.MirrorDestinations) await ClosePairAsync(number, s).ConfigureAwait(false);
            foreach (uint p in deleted.MirrorPrimaries) await ClosePairAsync(p, number).ConfigureAwait(false);
            await CloseEngineAsync(number, deleteFiles: true).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
