using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Snapcat.Core.Json;
using Snapcat.Core.VolumeInformation;
using Snapcat.Contracts.Array;

namespace Snapcat.Agent.Handlers;

/// <summary>
/// What the two backup flows share: checking the order before anything runs, and the last step — build
/// the 512-byte volume information (FIG. 11) and have the array record it on the backup volume
/// (FIG. 10 step 1615; FIG. 18 the same).
/// </summary>
internal static class BackupRecord
{
    /// <summary>Everything that can be refused without touching the host or the array, so a refused order changes nothing.</summary>
    public static void CheckOrder(AgentRuntime runtime, BackupOrder order)
    {
        if (string.IsNullOrEmpty(order.Label))
            Throw.Invalid("backup.missing_label", "a backup order needs a label (the volume information's label, up to 64 bytes)");
        if (Encoding.UTF8.GetByteCount(order.Label) > VolumeInfoRecord.LabelMax)
            Throw.Invalid("backup.label_too_long",
                $"label '{order.Label}' is {Encoding.UTF8.GetByteCount(order.Label)} bytes; the volume information holds at most {VolumeInfoRecord.LabelMax}");
        if (string.IsNullOrWhiteSpace(order.MountPoint))
            Throw.Invalid("backup.missing_mount_point", "a backup order needs mountPoint (a mount point of the port correspondence table)");
        // Every text the record will carry, checked as the encoder checks it: a label with a NUL byte used to pass
        // here and fail only after the snapshot existed, leaving it without volume information (issue 9.6).
        foreach (string? why in new[]
        {
            VolumeInfoRecord.TextProblem(order.Label, VolumeInfoRecord.LabelMax, "label"),
            VolumeInfoRecord.TextProblem(order.MountPoint, VolumeInfoRecord.MountPointMax, "mount point"),
            VolumeInfoRecord.TextProblem(order.Definition ?? "", VolumeInfoRecord.DefinitionMax, "definition name"),
            VolumeInfoRecord.TextProblem(runtime.Config.HostName, VolumeInfoRecord.HostMax, "host name"),
        })
            if (why is not null) Throw.Invalid("backup.field_not_recordable", $"{why}; nothing was run");
        if (order.CatalogNumber is < 0)
            Throw.Invalid("backup.catalog_number", $"catalogNumber {order.CatalogNumber} is negative; nothing was run");
        // Refused hooks are refused here, before any array call, not only inside FreezeScope.
        if (order.PreProcess is not null) runtime.Hooks.EnsureAllowed(order.PreProcess);
        if (order.PostProcess is not null) runtime.Hooks.EnsureAllowed(order.PostProcess);
    }

    public static VolumeInfoRecord Build(AgentRuntime runtime, ProtectedVolume source, BackupOrder order, DateTimeOffset orderedAt, BackupKind kind) => new()
    {
        Label = order.Label,
        Host = runtime.Config.HostName,
        MountPoint = source.MountPoint,
        Timestamp = VolumeInfoRecord.TruncateToMicros(orderedAt),
        Kind = kind,
        SourceDeviceId = source.DeviceId,
        SourceVolume = source.Volume,
        BackupId = Guid.NewGuid(),
        Origin = VolumeInfoOrigin.Backup,
        DefinitionName = order.Definition ?? "",
        CatalogNumber = (ulong)(order.CatalogNumber ?? 0),
    };

    /// <summary>
    /// The whole future record, checked once the source is resolved and before any hook or array work: what
    /// <see cref="CheckOrder"/> cannot know (the source's device ID) is known now. The time stamp is a stand-in.
    /// </summary>
    public static void CheckRecordable(AgentRuntime runtime, ProtectedVolume source, BackupOrder order, BackupKind kind)
    {
        try
        {
            Build(runtime, source, order, DateTimeOffset.UtcNow, kind).Validate();
        }
        catch (SnapcatException ex)
        {
            Throw.Invalid("backup.field_not_recordable", $"the volume information of this backup could not be written: {ex.Message}; nothing was run");
        }
    }

    /// <summary>Step 1615: send the record with the backup volume's number; the array keeps it beside the volume.</summary>
    public static async Task<JsonNode?> RecordAsync(ArrayClient array, ProtectedVolume source, uint backupVolume, VolumeInfoRecord record, LogSink log)
    {
        byte[] bytes = await PutAsync(array, source, backupVolume, record, log).ConfigureAwait(false);
        return Result(source, backupVolume, record, bytes);
    }

    /// <summary>The array keeps the record beside the backup volume; returns the bytes written.</summary>
    public static async Task<byte[]> PutAsync(ArrayClient array, ProtectedVolume source, uint backupVolume, VolumeInfoRecord record, LogSink log)
    {
        byte[] bytes = record.Encode();
        // Not the job's token: the backup is taken and the hooks ran; leaving it without its label
        // because a cancel arrived this late would leave a volume nobody can identify.
        await array.PutVolumeInfoAsync(backupVolume, bytes, CancellationToken.None).ConfigureAwait(false);
        log.Info($"volume information recorded on {source.DeviceId} volume {backupVolume}: label '{record.Label}', backup ID {record.BackupId}" +
            (record.CatalogNumber > 0 ? $", catalog number {record.CatalogNumber}" : ""));
        return bytes;
    }

    public static JsonNode? Result(ProtectedVolume source, uint backupVolume, VolumeInfoRecord record, byte[] bytes) =>
        JsonSerializer.SerializeToNode(new BackupResultDto(SnapcatJson.Name(record.Kind == BackupKind.Mirror ? BackupKind.Mirror : BackupKind.Snapshot), source.DeviceId, backupVolume, source.Volume,
            record.Timestamp, record.Label, Convert.ToBase64String(bytes)), SnapcatJson.Web);
}
