namespace Snapcat.Server.Tape;

public sealed partial class TapeLibrary
{
    /// <summary>
    /// A cartridge was found damaged: its labels cannot be read (a scan or listing), its end cannot be checked, or a
    /// torn tail was cut off it (<see cref="RecoverTailsAsync"/>). Arguments: library ID, volume serial, the problem.
    /// Raised on the drive's thread; handlers must return quickly and not throw (the server's notifier only enqueues).
    /// </summary>
    public event Action<string, string, string>? CartridgeDamaged;

    private void ReportDamaged(string volumeSerial, string problem) => CartridgeDamaged?.Invoke(LibraryId, volumeSerial, problem);

    private LibraryScan ReportDamaged(LibraryScan scan)
    {
        foreach (var c in scan.Cartridges.Where(c => c.Damaged))
            ReportDamaged(c.VolumeSerial, c.Error ?? "its labels cannot be read");
        return scan;
    }
}
