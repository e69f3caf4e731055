using Snapcat.Tape;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;

namespace Snapcat.Server.Tape;

/// <summary>One cartridge's label scan: what it holds, or why it cannot be read.</summary>
public sealed record ScannedCartridge(string VolumeSerial, CartridgeInfo? Info, long ImageBytes, string? Error)
{
    public bool Damaged => Info is null;
}

/// <summary>
/// A backup found by its management information file: where it starts, which cartridges its files occupy,
/// and whether all three files (MGMT, DATA, TRLR) are recorded. <see cref="Problem"/> says what is missing.
/// </summary>
public sealed record ScannedBackup(TapeFileLocation Location, string FileSetIdentifier, IReadOnlyList<string> Volumes, string? Problem)
{
    public string MediaId => TapeMediaId.Format(Location);
}

/// <summary>
/// Scans every cartridge's labels once (CartridgeScanner: every block count against its trailer) and pairs
/// the files of each backup across cartridges by file set and sequence number. A cartridge that fails its
/// scan is kept as damaged with the reason; its sections count as missing for backups that cross it.
/// </summary>
public sealed class LibraryScan
{
    private LibraryScan(IReadOnlyList<ScannedCartridge> cartridges, IReadOnlyList<ScannedBackup> backups)
    {
        Cartridges = cartridges;
        Backups = backups;
    }

    public IReadOnlyList<ScannedCartridge> Cartridges { get; }
    public IReadOnlyList<ScannedBackup> Backups { get; }

    public static LibraryScan Run(ICartridgeLibrary library, Func<string, long> imageBytes, CancellationToken ct = default)
    {
        var cartridges = new List<ScannedCartridge>();
        foreach (string serial in library.VolumeSerials())
        {
            ct.ThrowIfCancellationRequested();
            cartridges.Add(ScanOne(library, serial, imageBytes(serial)));
        }

        var sections = new Dictionary<(string Set, int Seq), List<(string Serial, CartridgeFileInfo File)>>();
        foreach (var c in cartridges.Where(c => !c.Damaged))
            foreach (var f in c.Info!.Files)
            {
                if (!sections.TryGetValue((f.FileSetIdentifier, f.FileSequence), out var list))
                    sections[(f.FileSetIdentifier, f.FileSequence)] = list = [];
                list.Add((c.VolumeSerial, f));
            }

        var backups = new List<ScannedBackup>();
        foreach (var c in cartridges.Where(c => !c.Damaged))
            foreach (var f in c.Info!.Files.Where(f => f.FileSection == 1 && f.FileIdentifier.EndsWith(".MGMT", StringComparison.Ordinal)))
            {
                string stem = f.FileIdentifier[..^".MGMT".Length];
                var volumes = new List<string>();
                string? problem = null;
                for (int i = 0; i < 3 && problem is null; i++)
                {
                    string part = i switch { 0 => "MGMT", 1 => "DATA", _ => "TRLR" };
                    problem = Chain(sections, f.FileSetIdentifier, f.FileSequence + i, stem + "." + part, volumes);
                }
                backups.Add(new ScannedBackup(new TapeFileLocation(c.VolumeSerial, f.FileSequence), f.FileSetIdentifier, volumes, problem));
            }
        return new LibraryScan(cartridges, backups);
    }

    private static ScannedCartridge ScanOne(ICartridgeLibrary library, string serial, long bytes)
    {
        try
        {
            using var drive = library.Mount(serial, writable: false);
            var info = CartridgeScanner.Scan(drive);
            if (info.Volume.VolumeSerial != serial)
                return new ScannedCartridge(serial, null, bytes, $"its VOL1 label names volume {info.Volume.VolumeSerial}, not {serial} (file renamed?)");
            return new ScannedCartridge(serial, info, bytes, null);
        }
        catch (SnapcatException e)
        {
            return new ScannedCartridge(serial, null, bytes, $"{e.Message} ({e.Code})");
        }
        catch (IOException e)
        {
            return new ScannedCartridge(serial, null, bytes, $"cannot read the image: {e.Message}");
        }
    }

    /// <summary>Follows sections 1, 2, … of one file; null when the file is complete (ends with EOF labels).</summary>
    private static string? Chain(Dictionary<(string, int), List<(string Serial, CartridgeFileInfo File)>> sections,
        string set, int sequence, string identifier, List<string> volumes)
    {
        if (!sections.TryGetValue((set, sequence), out var list))
            return $"file {sequence} ({identifier}) is not on any readable cartridge (writer interrupted, or a cartridge of set {set} is missing or damaged)";
        for (int section = 1; ; section++)
        {
            var s = list.FirstOrDefault(x => x.File.FileSection == section);
            if (s.File is null)
                return $"section {section} of file {sequence} ({identifier}) is not on any readable cartridge of set {set}";
            if (s.File.FileIdentifier != identifier)
                return $"file {sequence} is '{s.File.FileIdentifier}', expected '{identifier}' (incomplete backup)";
            if (!volumes.Contains(s.Serial))
                volumes.Add(s.Serial);
            if (!s.File.ContinuesOnNextVolume)
                return null;
        }
    }

    /// <summary>The trailer of a complete backup, read from the cartridge holding its TRLR file.</summary>
    public static TapeBackupTrailer ReadTrailer(ICartridgeLibrary library, ScannedBackup backup)
    {
        using var reader = new TapeFileSetReader(library);
        string last = backup.Volumes[^1];
        reader.OpenFile(new TapeFileLocation(last, backup.Location.FileSequence + 2));
        var buffer = new byte[ushort.MaxValue];
        using var ms = new MemoryStream();
        int n;
        while ((n = reader.ReadBlock(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > TapeManagementRecord.MaxBytes)
                throw new TapeFormatException("tape.trailer.size", $"trailer of {backup.MediaId} is too large");
        }
        return TapeBackupTrailer.Parse(ms.ToArray());
    }
}
