namespace Snapcat.Server.Scheduling;

/// <summary>Starts a run of a definition (the backup flows). Returns false when a run of it is still going on.</summary>
public interface IBackupRunStarter
{
    bool TryStart(BackupDefinition definition, string trigger);
}
