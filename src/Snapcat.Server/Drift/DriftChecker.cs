using System.Globalization;
using Snapcat.Server.Flows;

namespace Snapcat.Server.Drift;

/// <summary>
/// Compares the catalog with each array (its volume information listing, snapshots, kept digests) and with the tape
/// library, and says where they disagree (<see cref="DriftKinds"/>). Reads only; every fix is <see cref="DriftFixer"/>'s.
/// An array that cannot be read is reported, and its earlier findings are kept (the store does not clear them).
/// A volume whose record does not decode is not a finding here: the rebuild reports it as invalid with its reason.
/// </summary>
public sealed class DriftChecker(ServerRuntime rt, Func<bool> backupRunning)
{
    public sealed record Result(IReadOnlyList<DriftFinding> Findings, IReadOnlyList<ArrayProblem> Unreadable);

    public async Task<Result> CheckAllAsync(CancellationToken ct)
    {
        var findings = new List<DriftFinding>();
        var unreadable = new List<ArrayProblem>();
        foreach (string device in rt.Remotes.DeviceIds.Order(StringComparer.Ordinal))
        {
            try { findings.AddRange(await CheckArrayAsync(device, ct).ConfigureAwait(false)); }
            catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or HttpRequestException or TaskCanceledException or IOException)
            {
                unreadable.Add(new ArrayProblem(device, e is SnapcatException se ? $"{se.Message} ({se.Code})" : e.Message));
            }
        }
        if (rt.Tapes is { } library)
        {
            try { findings.AddRange(await CheckTapesAsync(ct).ConfigureAwait(false)); }
            catch (Exception e) when (!ct.IsCancellationRequested && e is SnapcatException or IOException)
            {
                unreadable.Add(new ArrayProblem(library.LibraryId, e is SnapcatException se ? $"{se.Message} ({se.Code})" : e.Message));
            }
        }
        return new Result(findings, unreadable);
    }

    /// <summary>The findings of one array: kinds volume_gone, record_not_in_catalog, record_changed, digest_differs and orphan_snapshot.</summary>
    public async Task<IReadOnlyList<DriftFinding>> CheckArrayAsync(string device, CancellationToken ct)
    {
        var array = rt.Remotes.ArrayFor(device);
        var listing = await array.ListVolumeInfosAsync(ct).ConfigureAwait(false);
        if (listing.DeviceId != device)
            Throw.Conflict("rebuild.device_mismatch", $"the array configured as {device} ({array.BaseUrl}) answers as {listing.DeviceId}");
        var rows = await rt.Data.SearchAllAsync(new BackupDataFilter { DeviceId = device }, ct).ConfigureAwait(false);
        var byMedia = new Dictionary<string, BackupDataRow>(StringComparer.Ordinal);
        foreach (var r in rows) byMedia.TryAdd(r.MediaId, r);
        var volumes = listing.Volumes.ToDictionary(v => N(v.Number), StringComparer.Ordinal);
        var findings = new List<DriftFinding>();
        var now = rt.Time.GetUtcNow();

        foreach (var row in byMedia.Values)
        {
            if (volumes.ContainsKey(row.MediaId)) continue;
            string target = $"{device}/{row.MediaId}";
            bool isProtected = row.IsProtectedAt(now);
            findings.Add(new DriftFinding(DriftKinds.VolumeGone, target, device, row.MediaId, row.Id,
                $"backup {row.Id}: {Describe(row)}{(isProtected ? ", protected" : "")}",
                $"{device} has no volume {row.MediaId}",
                FixCommand(DriftKinds.VolumeGone, target) + (isProtected ? " --force (the backup is protected; its row is dropped only with --force)" : "")));
        }

        foreach (var v in listing.Volumes)
        {
            if (v.VolumeInfo is null) continue;
            byte[] raw;
            try { raw = Convert.FromBase64String(v.VolumeInfo); }
            catch (FormatException) { continue; }
            if (!VolumeInfoRecord.TryDecode(raw, out var record, out _)) continue;
            // Only backups: a record of another kind (the server's own catalog volume, issue 13) is never a catalog row.
            if (!IsBackupKind(record!.Kind)) continue;
            string media = N(v.Number);
            string target = $"{device}/{media}";
            if (!byMedia.TryGetValue(media, out var row))
            {
                findings.Add(new DriftFinding(DriftKinds.RecordNotInCatalog, target, device, media, null,
                    $"no row for volume {media} on {device}", $"volume {media} carries the record of {Describe(record!)}",
                    FixCommand(DriftKinds.RecordNotInCatalog, target)));
                continue;
            }
            if (!row.VolumeInfo.AsSpan().SequenceEqual(raw))
            {
                var (catalogSays, arraySays) = Differences(row.VolumeInfo, record!);
                findings.Add(new DriftFinding(DriftKinds.RecordChanged, target, device, media, row.Id,
                    $"backup {row.Id}'s record: {catalogSays}", $"the record on volume {media}: {arraySays}",
                    FixCommand(DriftKinds.RecordChanged, target) + " (takes the array's record into the row; --keep-catalog writes the catalog's record to the array)"));
            }
            if (row.Digest is { } kept && v.DigestRoot is { } onArray && !string.Equals(kept, onArray, StringComparison.Ordinal))
                findings.Add(new DriftFinding(DriftKinds.DigestDiffers, target, device, media, row.Id,
                    $"backup {row.Id}'s digest {kept}", $"volume {media}'s kept digest {onArray}",
                    FixCommand(DriftKinds.DigestDiffers, target) + $" (verifies the volume on the array; or 'snapcat backup verify {row.Id}')"));
        }

        // Orphan snapshots as the orphan listing finds them (one array, the same rules).
        var orphans = await new OrphanSnapshotsHandler(rt).RunAsync(new OrphanRequest([device]), backupRunning, ct).ConfigureAwait(false);
        if (orphans.Unreadable.FirstOrDefault() is { } problem)
            Throw.Remote("drift.orphans_unreadable", $"the snapshots of {device} could not be listed: {problem.Error}");
        foreach (var o in orphans.Orphans)
        {
            string target = $"{device}/{N(o.Volume)}";
            findings.Add(new DriftFinding(DriftKinds.OrphanSnapshot, target, device, N(o.Volume), null,
                $"no row, and no volume information to make one from",
                $"snapshot volume {o.Volume}{(o.SourceVolume is { } s ? $" of volume {s}" : "")}, created {o.Created.ToString("u", CultureInfo.InvariantCulture)}, {o.Size} bytes, without volume information",
                FixCommand(DriftKinds.OrphanSnapshot, target) + " (deletes the snapshot; refused while a backup runs)"));
        }
        return findings;
    }

    /// <summary>Damaged cartridges that catalog rows still point into (kind cartridge_damaged).</summary>
    public async Task<IReadOnlyList<DriftFinding>> CheckTapesAsync(CancellationToken ct)
    {
        var library = rt.TapeLibraryOrThrow();
        var cartridges = await library.ListAsync(ct).ConfigureAwait(false);
        var rows = await rt.Data.SearchAllAsync(new BackupDataFilter { DeviceId = library.LibraryId }, ct).ConfigureAwait(false);
        var findings = new List<DriftFinding>();
        foreach (var c in cartridges.Where(c => c.State == "damaged"))
        {
            var onIt = RowsOn(rows, c.VolumeSerial);
            if (onIt.Count == 0) continue;
            string target = $"{library.LibraryId}/{c.VolumeSerial}";
            findings.Add(new DriftFinding(DriftKinds.CartridgeDamaged, target, library.LibraryId, c.VolumeSerial, null,
                $"{onIt.Count} backup(s) on it: " + string.Join(", ", onIt.OrderBy(r => r.Id).Select(r => $"{r.Id} ({r.MediaId}, {r.Host}:{r.MountPoint} '{r.Label}')")),
                $"cartridge {c.VolumeSerial} is damaged: {c.Error ?? "its labels cannot be read"}",
                FixCommand(DriftKinds.CartridgeDamaged, target) + " (copies again to tape what still has a disk copy, drops the rows on the cartridge, lists what is lost)"));
        }
        return findings;
    }

    /// <summary>The current finding of <paramref name="kind"/> at <paramref name="target"/>, or null when it is gone (the re-check of a fix).</summary>
    public async Task<DriftFinding?> RecheckAsync(string kind, string target, string device, CancellationToken ct)
    {
        var now = kind == DriftKinds.CartridgeDamaged ? await CheckTapesAsync(ct).ConfigureAwait(false) : await CheckArrayAsync(device, ct).ConfigureAwait(false);
        return now.FirstOrDefault(f => f.Kind == kind && f.Target == target);
    }

    public static IReadOnlyList<BackupDataRow> RowsOn(IEnumerable<BackupDataRow> tapeRows, string volumeSerial) =>
        tapeRows.Where(r => r.MediaId.StartsWith(volumeSerial + "/", StringComparison.Ordinal)).ToList();

    /// <summary>The kinds a backup row has; any other record kind (a catalog volume) is left out of drift and import.</summary>
    public static bool IsBackupKind(BackupKind kind) => kind is BackupKind.Mirror or BackupKind.Snapshot or BackupKind.Copy or BackupKind.Tape;

    public static string FixCommand(string kind, string target) => $"snapcat drift fix {DriftFinding.IdOf(kind, target)}";

    private static string N(uint n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Describe(BackupDataRow r) =>
        $"{r.Kind} backup of {r.Host}:{r.MountPoint} '{r.Label}' taken {r.Timestamp.ToString("u", CultureInfo.InvariantCulture)}, backup ID {r.BackupId}";

    private static string Describe(VolumeInfoRecord r) =>
        $"{BackupRows.KindName(r.Kind)} backup of {r.Host}:{r.MountPoint} '{r.Label}' taken {r.Timestamp.ToString("u", CultureInfo.InvariantCulture)}, backup ID {r.BackupId}";

    /// <summary>The fields in which the catalog's copy of a record and the array's differ, each side's values.</summary>
    private static (string Catalog, string Array) Differences(byte[] catalogRaw, VolumeInfoRecord array)
    {
        if (!VolumeInfoRecord.TryDecode(catalogRaw, out var cat, out string? reason))
            return ($"does not decode ({reason})", Describe(array));
        var c = new List<string>();
        var a = new List<string>();
        void Field(string name, object? x, object? y)
        {
            if (Equals(x, y)) return;
            c.Add($"{name} {Text(x)}");
            a.Add($"{name} {Text(y)}");
        }
        Field("label", cat!.Label, array.Label);
        Field("host", cat.Host, array.Host);
        Field("mount point", cat.MountPoint, array.MountPoint);
        Field("time", cat.Timestamp, array.Timestamp);
        Field("kind", cat.Kind, array.Kind);
        Field("backup ID", cat.BackupId, array.BackupId);
        Field("source", $"{cat.SourceDeviceId}/{cat.SourceVolume}", $"{array.SourceDeviceId}/{array.SourceVolume}");
        Field("origin", cat.Origin, array.Origin);
        Field("definition", cat.DefinitionName, array.DefinitionName);
        Field("catalog number", cat.CatalogNumber, array.CatalogNumber);
        if (c.Count == 0) return ("the same fields, other bytes", "the same fields, other bytes");
        return (string.Join(", ", c), string.Join(", ", a));
    }

    private static string Text(object? v) => v switch
    {
        string s => $"'{s}'",
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        Enum e => e.ToString().ToLowerInvariant(),
        null => "none",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };
}
