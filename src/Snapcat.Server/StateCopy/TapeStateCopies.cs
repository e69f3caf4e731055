using Snapcat.Server.Tape;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;

namespace Snapcat.Server.StateCopy;

/// <summary>
/// The state copy on tape: one labelled file <see cref="FileIdentifier"/> appended to the library's volume set after each
/// tape job (docs/tape-format.md, docs/disaster-recovery.md): the same envelope as on the arrays, in 61,440-byte blocks.
/// Tape scans that look for backups go by <c>.MGMT</c> files and skip it; tail repair cuts it only when it is torn.
/// </summary>
public sealed class TapeStateCopies(TapeLibrary library)
{
    /// <summary>The HDR1 file identifier of a state copy (17 characters at most).</summary>
    public const string FileIdentifier = "SC.STATE.CATALOG";

    public Task<string> WriteAsync(byte[] envelope, CancellationToken ct) =>
        library.UseDriveAsync(writes: true, () =>
        {
            // As a backup does: a torn tail of a crashed writer is cut before anything is appended.
            library.RecoverTailsLocked();
            using var set = new TapeFileSetWriter(library.Cartridges, library.Clock);
            try
            {
                var location = set.BeginFile(FileIdentifier, TapeBackupWriter.DataBlockLength);
                for (int at = 0; at < envelope.Length; at += TapeBackupWriter.DataBlockLength)
                {
                    ct.ThrowIfCancellationRequested();
                    set.WriteBlock(envelope.AsSpan(at, Math.Min(TapeBackupWriter.DataBlockLength, envelope.Length - at)));
                }
                set.EndFile();
                return $"tape {library.LibraryId} cartridge {location.VolumeSerial} file {location.FileSequence}";
            }
            catch
            {
                try { set.Abandon(); }
                catch (Exception e) when (e is SnapcatException or IOException) { }
                throw;
            }
        }, ct);

    /// <summary>Every state copy on the library's cartridges, each valid or with its reason; damaged cartridges are skipped (the backup scan reports them).</summary>
    public Task<IReadOnlyList<FoundCopy>> ReadAllAsync(CancellationToken ct) =>
        library.UseDriveAsync<IReadOnlyList<FoundCopy>>(writes: false, () =>
        {
            var found = new List<FoundCopy>();
            var scan = LibraryScan.Run(library.Cartridges, s => new FileInfo(library.PathOf(s)).Length, ct);
            foreach (var c in scan.Cartridges.Where(c => !c.Damaged))
                foreach (var f in c.Info!.Files.Where(f => f.FileSection == 1 && f.FileIdentifier == FileIdentifier))
                {
                    ct.ThrowIfCancellationRequested();
                    string where = $"tape {library.LibraryId} cartridge {c.VolumeSerial} file {f.FileSequence}";
                    try
                    {
                        byte[] bytes = Read(new TapeFileLocation(c.VolumeSerial, f.FileSequence));
                        found.Add(StateEnvelope.TryDecode(bytes, out var doc, out string? why)
                            ? new FoundCopy(where, $"tape {library.LibraryId}", doc, null)
                            : new FoundCopy(where, $"tape {library.LibraryId}", null, "the copy " + why));
                    }
                    catch (Exception e) when (e is SnapcatException or IOException)
                    {
                        found.Add(new FoundCopy(where, $"tape {library.LibraryId}", null, $"not readable: {e.Message}"));
                    }
                }
            return found;
        }, ct);

    private byte[] Read(TapeFileLocation location)
    {
        using var reader = new TapeFileSetReader(library.Cartridges);
        reader.OpenFile(location);
        var buffer = new byte[ushort.MaxValue];
        using var ms = new MemoryStream();
        int n;
        while ((n = reader.ReadBlock(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > ArrayStateCopies.SlotBytes)
                throw new SnapcatException(ErrorKind.Invalid, "state.too_large", $"{location.VolumeSerial} file {location.FileSequence} is larger than any state copy");
        }
        return ms.ToArray();
    }
}
