using System.Globalization;
using Snapcat.Array.Mirror;

namespace Snapcat.Array.CopyFunctions;

// The copy destination list (FIG. 7 column 375, mirror mode): one MirrorPair per entry. The pair is
// given views of both volumes that run every hook but its own, so the copy's writes reach the
// destination's snapshots and other pairs' tracking, but do not count as host changes of this pair.
public sealed partial class CopyFunctionService
{
    /// <summary>Adds <paramref name="secondary"/> to <paramref name="primary"/>'s list. Order: pair files, hooks, then the row.</summary>
    public async Task<MirrorDestinationDto> AddMirrorDestinationAsync(uint primary, uint secondary)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _volumes.CheckMirrorDestination(primary, secondary);
            CheckNotBusy([primary, secondary]);
            // A directory here is a leftover of an interrupted add or remove; tracking starts afresh.
            DeleteDirectory(_volumes.MirrorDirectory(primary, secondary));
            var entry = OpenPair(primary, secondary);
            try
            {
                _volumes.InsertMirrorDestinationRow(primary, secondary);
            }
            catch
            {
                await ClosePairAsync(primary, secondary).ConfigureAwait(false);
                throw;
            }
            return ToDto(primary, secondary, entry);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes a destination; refused while a copy or restore between them runs. Order: row, then pair files.</summary>
    public async Task RemoveMirrorDestinationAsync(uint primary, uint secondary)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var entry = GetPair(primary, secondary);
            if (entry.JobId is { } job)
                Throw.Conflict("mirror.copy_running",
                    $"a copy between volume {primary} and volume {secondary} is running (job {job}); cancel it or wait before removing the destination");
            _volumes.DeleteMirrorDestinationRow(primary, secondary);
            await ClosePairAsync(primary, secondary).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public IReadOnlyList<MirrorDestinationDto> ListMirrorDestinations(uint primary)
    {
        var list = _volumes.MirrorDestinationsOf(primary);
        var result = new List<MirrorDestinationDto>();
        foreach (uint s in list)
        {
            PairEntry? e;
            lock (_sync) _pairs.TryGetValue((primary, s), out e);
            if (e is not null) result.Add(ToDto(primary, s, e));
        }
        return result;
    }

    private PairEntry GetPair(uint primary, uint secondary)
    {
        _volumes.GetRecord(primary);  // 404 for an unknown primary first
        PairEntry? e;
        lock (_sync) _pairs.TryGetValue((primary, secondary), out e);
        if (e is null)
        {
            var list = _volumes.MirrorDestinationsOf(primary);
            Throw.NotFound("mirror.not_a_destination",
                $"volume {secondary} is not in the copy destination list of volume {primary} (its list: {(list.Count == 0 ? "empty" : string.Join(", ", list))}); nothing was done");
        }
        return e;
    }

    private PairEntry OpenPair(uint primary, uint secondary)
    {
        var p = _volumes.GetDevice(primary);
        var s = _volumes.GetDevice(secondary);
        MirrorPair? pair = null;
        pair = MirrorPair.Open(_volumes.MirrorDirectory(primary, secondary),
            p.Excluding(() => pair?.PrimaryHook), s.ExcludingWithDigest(() => pair?.SecondaryHook));
        pair.KeepSecondaryDigest(_volumes.Digests, secondary);
        if (pair.FoundInterruptedCopy) LogInterruptedCopy(primary, secondary);
        var entry = new PairEntry(pair, p.AddHook(pair.PrimaryHook), s.AddHook(pair.SecondaryHook));
        lock (_sync) _pairs[(primary, secondary)] = entry;
        return entry;
    }

    private async Task ClosePairAsync(uint primary, uint secondary)
    {
        PairEntry? e;
        lock (_sync) _pairs.Remove((primary, secondary), out e);
        if (e is not null)
        {
            e.PrimaryHook.Dispose();
            e.SecondaryHook.Dispose();
            await e.Pair.DisposeAsync().ConfigureAwait(false);
        }
        DeleteDirectory(_volumes.MirrorDirectory(primary, secondary));
    }

    /// <summary>Start: open a pair per row; pair directories without a row are leftovers.</summary>
    private void ReconcileMirrors()
    {
        var rows = _volumes.ListMirrorPairs();
        var names = rows.Select(r => Path.GetFileName(_volumes.MirrorDirectory(r.Primary, r.Secondary))).ToHashSet();
        string root = Path.GetDirectoryName(_volumes.MirrorDirectory(1, 2))!;
        if (Directory.Exists(root))
            foreach (string dir in Directory.EnumerateDirectories(root))
            {
                if (names.Contains(Path.GetFileName(dir))) continue;
                LogLeftover("mirror directory", dir);
                DeleteDirectory(dir);
            }
        foreach (var (p, s) in rows) OpenPair(p, s);
    }

    private static MirrorDestinationDto ToDto(uint primary, uint secondary, PairEntry e)
    {
        var st = e.Pair.State;
        string state = st.Status switch
        {
            MirrorStatus.Never => "never",
            MirrorStatus.InProgress => "copying",
            MirrorStatus.Complete => "complete",
            _ => "failed",
        };
        string what = st.Direction == MirrorDirection.Restore ? "restore of the primary from this destination" : "copy";
        string? detail = st.Status switch
        {
            MirrorStatus.InProgress when e.Pair.Progress is { } pr =>
                $"{what} running (job {e.JobId}): {pr.Done.ToString(CultureInfo.InvariantCulture)} of {pr.Total.ToString(CultureInfo.InvariantCulture)} bytes",
            MirrorStatus.InProgress => $"{what} starting (job {e.JobId})",
            MirrorStatus.Failed when e.Pair.FoundInterruptedCopy && e.OperationsSinceOpen == 0 =>
                $"the array stopped during the {what} started {st.LastStart:O}; the destination is incomplete and the next copy is full",
            MirrorStatus.Failed => $"the last {what} failed" + (e.LastError is null ? "" : ": " + e.LastError),
            MirrorStatus.Complete when st.Direction == MirrorDirection.Restore => "last operation: " + what,
            _ => null,
        };
        return new MirrorDestinationDto(primary, secondary, state, st.LastStart, st.LastEnd, st.LastBytesCopied, e.Pair.NextCopyIsFull, detail);
    }
}
