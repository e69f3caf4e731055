namespace Snapcat.Contracts.Server;

/// <summary>
/// What a catalog rebuild found, in the shape the rebuild from arrays uses too: rows added, already there,
/// updated (another backup was recorded at that place), and places that could not be imported, with the reason.
/// <see cref="RebuildItem.Where"/> is the media ID, or the bare volume serial for a cartridge that failed its scan.
/// </summary>
public sealed record TapeRebuildReport(
    string DeviceId,
    IReadOnlyList<RebuildItem> Added,
    IReadOnlyList<RebuildItem> Unchanged,
    IReadOnlyList<RebuildItem> Updated,
    IReadOnlyList<RebuildItem> Invalid);

public sealed record RebuildItem(string Where, Guid? BackupId, string? Reason = null);
