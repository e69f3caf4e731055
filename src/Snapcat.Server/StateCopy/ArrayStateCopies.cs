using System.Collections.Concurrent;
using Snapcat.Contracts.Array;

namespace Snapcat.Server.StateCopy;

/// <summary>
/// The state copy on an array: one catalog volume per server (volume information of kind <see cref="BackupKind.Catalog"/>,
/// host = the server's ID), made through the array API, with two slots of <see cref="SlotBytes"/>. A new copy always goes
/// into the slot that does not hold the newest valid copy, so a crash mid-write (or a torn write) never leaves the array
/// without a valid one: the other slot is untouched. Order of one write: envelope into the slot (the array flushes it
/// before it answers), then the volume information's time stamp (the record) — never the record first.
/// </summary>
public sealed class ArrayStateCopies(ServerRuntime rt)
{
    public const string VolumeSize = "64M";
    public const long SlotBytes = 32L * 1024 * 1024;
    public const string Label = "snapcat-state";
    public const string MountPoint = "/snapcat/state";

    private readonly ConcurrentDictionary<string, uint> _volumes = new(StringComparer.Ordinal);

    public static bool IsCatalogRecord(VolumeInfoRecord r) => r.Kind == BackupKind.Catalog;

    /// <summary>Whether a listing entry carries a catalog volume's record (for the flows that must never take it for a backup).</summary>
    public static bool IsCatalogEntry(string? base64Info)
    {
        if (base64Info is null) return false;
        try
        {
            return VolumeInfoRecord.TryDecode(Convert.FromBase64String(base64Info), out var r, out _) && IsCatalogRecord(r!);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string SlotName(int slot) => slot == 0 ? "A" : "B";

    /// <summary>Writes <paramref name="envelope"/> (generation <paramref name="doc"/>'s) into this server's catalog volume on the array; returns where.</summary>
    public async Task<string> WriteAsync(string deviceId, StateDocument doc, byte[] envelope, CancellationToken ct)
    {
        if (envelope.Length > SlotBytes)
            Throw.Invalid("state.too_large", $"the state copy is {envelope.Length} bytes, more than a catalog volume slot holds ({SlotBytes})");
        var array = rt.Remotes.ArrayFor(deviceId);
        uint volume = await OwnVolumeAsync(array, deviceId, doc.ServerId, ct).ConfigureAwait(false);
        int slot;
        try
        {
            slot = await ChooseSlotAsync(array, volume, ct).ConfigureAwait(false);
        }
        catch (SnapcatException e) when (e.Kind is ErrorKind.NotFound or ErrorKind.Conflict)
        {
            // The volume was deleted or relabelled under us: find or make it again next time.
            _volumes.TryRemove(deviceId, out _);
            throw;
        }
        // 1. the envelope into the slot; the array answers once it is on stable storage (fsync).
        await array.WriteContentAsync(volume, slot * SlotBytes, envelope, ct).ConfigureAwait(false);
        // 2. then the record: the time stamp of the newest copy, so a listing shows when the state was last saved.
        await array.PutVolumeInfoAsync(volume, Record(deviceId, volume, doc.ServerId, doc.Written, await BackupIdAsync(array, volume, ct).ConfigureAwait(false)).Encode(), ct)
            .ConfigureAwait(false);
        return $"array {deviceId} volume {volume} slot {SlotName(slot)}";
    }

    private static async Task<Guid> BackupIdAsync(ArrayClient array, uint volume, CancellationToken ct)
    {
        byte[]? raw = await array.GetVolumeInfoAsync(volume, ct).ConfigureAwait(false);
        return raw is not null && VolumeInfoRecord.TryDecode(raw, out var r, out _) ? r!.BackupId : Guid.NewGuid();
    }

    private static VolumeInfoRecord Record(string deviceId, uint volume, string serverId, DateTimeOffset when, Guid id) => new()
    {
        Label = Label,
        Host = serverId,
        MountPoint = MountPoint,
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(when.ToUnixTimeMilliseconds()),
        Kind = BackupKind.Catalog,
        SourceDeviceId = deviceId,
        SourceVolume = volume,
        BackupId = id,
        Origin = VolumeInfoOrigin.Backup,
    };

    /// <summary>This server's catalog volume on the array: the one whose record names the server, or a new one.</summary>
    private async Task<uint> OwnVolumeAsync(ArrayClient array, string deviceId, string serverId, CancellationToken ct)
    {
        if (_volumes.TryGetValue(deviceId, out uint known)) return known;
        var listing = await array.ListVolumeInfosAsync(ct).ConfigureAwait(false);
        foreach (var v in listing.Volumes)
        {
            if (v.VolumeInfo is null) continue;
            if (VolumeInfoRecord.TryDecode(Convert.FromBase64String(v.VolumeInfo), out var r, out _) && IsCatalogRecord(r!) && r!.Host == serverId)
                return _volumes[deviceId] = v.Number;
        }
        var created = await array.CreateVolumeAsync(VolumeSize, ct).ConfigureAwait(false);
        // The record first here: only a volume labelled catalog accepts content writes (the array checks it).
        await array.PutVolumeInfoAsync(created.Number, Record(deviceId, created.Number, serverId, rt.Time.GetUtcNow(), Guid.NewGuid()).Encode(), ct).ConfigureAwait(false);
        return _volumes[deviceId] = created.Number;
    }

    /// <summary>The slot to write: not the one holding the newest valid copy (checked whole, not by its header alone).</summary>
    private static async Task<int> ChooseSlotAsync(ArrayClient array, uint volume, CancellationToken ct)
    {
        var headers = new StateEnvelope.Header?[2];
        for (int s = 0; s < 2; s++)
        {
            byte[] head = await array.ReadContentAsync(volume, s * SlotBytes, StateEnvelope.HeaderSize, ct).ConfigureAwait(false);
            StateEnvelope.TryReadHeader(head, SlotBytes, out headers[s], out _);
        }
        if (headers[0] is null) return 0;
        if (headers[1] is null) return 1;
        int newest = headers[1]!.Generation > headers[0]!.Generation ? 1 : 0;
        byte[] whole = await array.ReadContentAsync(volume, newest * SlotBytes, checked((int)headers[newest]!.TotalLength), ct).ConfigureAwait(false);
        // The newest is valid: write the other. It is damaged: write over it, the other slot may be the only good copy.
        return StateEnvelope.TryDecode(whole, out _, out _) ? 1 - newest : newest;
    }

    /// <summary>Every state copy on the array (every server's catalog volume, both slots), each valid or with its reason.</summary>
    public static async Task<IReadOnlyList<FoundCopy>> ReadAllAsync(string deviceId, ArrayClient array, VolumeInfoListing listing, CancellationToken ct)
    {
        var found = new List<FoundCopy>();
        foreach (var v in listing.Volumes)
        {
            if (!IsCatalogEntry(v.VolumeInfo)) continue;
            for (int s = 0; s < 2; s++)
            {
                string where = $"array {deviceId} volume {v.Number} slot {SlotName(s)}";
                string medium = $"array {deviceId}";
                try
                {
                    byte[] head = await array.ReadContentAsync(v.Number, s * SlotBytes, StateEnvelope.HeaderSize, ct).ConfigureAwait(false);
                    if (!StateEnvelope.TryReadHeader(head, Math.Min(SlotBytes, v.Size - s * SlotBytes), out var header, out string? why))
                    {
                        if (head.AsSpan().ContainsAnyExcept((byte)0)) found.Add(new FoundCopy(where, medium, null, "the slot " + why));
                        continue;   // an empty slot is no problem
                    }
                    byte[] whole = await array.ReadContentAsync(v.Number, s * SlotBytes, checked((int)header!.TotalLength), ct).ConfigureAwait(false);
                    found.Add(StateEnvelope.TryDecode(whole, out var doc, out why)
                        ? new FoundCopy(where, medium, doc, null)
                        : new FoundCopy(where, medium, null, "the copy " + why));
                }
                catch (SnapcatException e)
                {
                    found.Add(new FoundCopy(where, medium, null, $"not readable: {e.Message} ({e.Code})"));
                }
            }
        }
        return found;
    }
}
