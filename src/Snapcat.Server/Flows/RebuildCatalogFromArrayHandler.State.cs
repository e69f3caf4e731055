using System.Globalization;
using Snapcat.Server.StateCopy;

namespace Snapcat.Server.Flows;

/// <summary>
/// The rebuild's state part (docs/disaster-recovery.md): the newest valid state copy gives back the definitions and the backup
/// volume table before the rows are merged, then the rows' catalog-only fields and the job summaries after.
/// </summary>
public sealed partial class RebuildCatalogFromArrayHandler
{
    private sealed record PendingRestore(StateRestore.Choice Choice, StateCatalog.ConfigOutcome? Config, bool Adopt);

    private async Task<PendingRestore> RestoreConfigurationAsync(IReadOnlyList<FoundCopy> copies, string? fromServer, JobContext? job, CancellationToken ct)
    {
        var catalog = rt.StateCopies.Catalog;
        var id = await catalog.IdentityAsync(ct).ConfigureAwait(false);
        var choice = StateRestore.Choose(copies, id.ServerId, fromServer);
        foreach (var seen in choice.Seen.Where(s => !s.Used))
            job?.Warn($"state copy {seen.Source}: not used, {seen.Reason}");
        if (choice.Chosen is not { Document: { } doc } chosen)
        {
            job?.Warn(choice.Problem!);
            return new PendingRestore(choice, null, false);
        }
        var config = await catalog.RestoreConfigurationAsync(doc, ct).ConfigureAwait(false);
        job?.Info($"state copy {chosen.Source} (server {doc.ServerId}, generation {doc.Generation}, written {doc.Written:u}): " +
            $"{config.DefinitionsRestored.Count} definition(s) restored, {config.DefinitionsKept.Count} kept as the catalog had them, " +
            $"{config.VolumesRestored} backup volume table entr(ies) restored, {config.VolumesKept} kept");
        // The server becomes the copy's server (its next copies land in the same catalog volumes) unless it has written
        // copies of its own under another identity.
        bool adopt = id.Written is null || id.ServerId == doc.ServerId;
        return new PendingRestore(choice, config, adopt);
    }

    private async Task<StateRestoreReport> FinishStateAsync(PendingRestore p, IEnumerable<(string DeviceId, string MediaId)> fresh, JobContext? job, CancellationToken ct)
    {
        var choice = p.Choice;
        if (choice.Chosen is not { Document: { } doc } chosen || p.Config is not { } config)
            return new StateRestoreReport(null, null, null, null, choice.Seen, null, null, null, null, [], [], choice.Problem);
        var catalog = rt.StateCopies.Catalog;
        var rows = await catalog.ApplyBackupFieldsAsync(doc, fresh.ToHashSet(), ct).ConfigureAwait(false);
        var (jobsAdded, jobsKept) = await catalog.RestoreJobsAsync(doc, ct).ConfigureAwait(false);
        if (p.Adopt) await catalog.AdoptAsync(doc, chosen.Source, ct).ConfigureAwait(false);
        long total = await rt.Data.CountAsync(ct).ConfigureAwait(false);
        int fromCopy = rows.Applied + rows.AlreadyEqual;
        int recordsOnly = (int)Math.Max(0, total - fromCopy - rows.Kept);
        foreach (string conflict in rows.Conflicts) job?.Warn("state copy: " + conflict);
        job?.Info($"state copy: {fromCopy} backup row(s) completed from it, {recordsOnly} from the media's records only, {rows.Kept} kept, " +
            $"{rows.Conflicts.Count} conflict(s), {rows.NotOnMedia} in the copy but on no medium read; {jobsAdded} job summar(ies) restored");
        string from = $"{chosen.Source} (generation {doc.Generation.ToString(CultureInfo.InvariantCulture)})";
        return new StateRestoreReport(chosen.Source, doc.ServerId, doc.Generation, doc.Written, choice.Seen,
            new StatePartReport(from, config.DefinitionsRestored.Count, 0, config.DefinitionsKept.Count, 0),
            new StatePartReport(from, config.VolumesRestored, 0, config.VolumesKept, 0),
            new StatePartReport(from + " and the media's volume information", fromCopy, recordsOnly, rows.Kept, rows.Conflicts.Count, rows.NotOnMedia),
            new StatePartReport(from, jobsAdded, 0, jobsKept, 0),
            config.DefinitionsKept, rows.Conflicts);
    }
}
