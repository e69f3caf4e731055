using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Snapcat.Core.Storage;
using Snapcat.Tape.Backup;
using Snapcat.Tape.Cartridge;
using Snapcat.Tape.Drive;
using Snapcat.Tape.Labels;

namespace Snapcat.Server.Tape;

/// <summary>
/// The server's virtual tape library (issue 6): labels, lists, imports, exports cartridges and verifies
/// backups on them. Drives: at most <see cref="TapeLibraryConfig.Drives"/> tape operations run at once.
/// Writers also take the single append lock first (always in that order, so two waits never cross): every
/// append goes to the volume set's current cartridge, so two copies must never write at the same time.
/// The library directory belongs to one process at a time (the server, or the CLI offline).
/// </summary>
public sealed partial class TapeLibrary : IDisposable
{
    private readonly DirectoryCartridgeLibrary _directory;
    private readonly SlotLimitedLibrary _cartridges;
    private readonly SemaphoreSlim _drives;
    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly ILogger _log;

    public TapeLibrary(TapeLibraryConfig config, TimeProvider? clock = null, ILogger? log = null)
    {
        config.Validate();
        Config = config;
        Clock = clock ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _directory = new DirectoryCartridgeLibrary(config.Directory, config.CapacityBytes, config.SerialPrefix);
        _cartridges = new SlotLimitedLibrary(_directory, config.Slots);
        _drives = new SemaphoreSlim(config.Drives, config.Drives);
    }

    public TapeLibraryConfig Config { get; }
    public string LibraryId => Config.LibraryId;
    internal TimeProvider Clock { get; }
    internal ICartridgeLibrary Cartridges => _cartridges;

    public string PathOf(string volumeSerial) => _directory.PathOf(volumeSerial);

    /// <summary>Runs <paramref name="work"/> on a drive (and under the append lock when it writes), off the caller's thread.</summary>
    internal async Task<T> UseDriveAsync<T>(bool writes, Func<Task<T>> work, CancellationToken ct)
    {
        if (writes) await _append.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _drives.WaitAsync(ct).ConfigureAwait(false);
            try { return await Task.Run(work, ct).ConfigureAwait(false); }
            finally { _drives.Release(); }
        }
        finally
        {
            if (writes) _append.Release();
        }
    }

    internal Task<T> UseDriveAsync<T>(bool writes, Func<T> work, CancellationToken ct) => UseDriveAsync(writes, () => Task.FromResult(work()), ct);

    /// <summary>Labels <paramref name="count"/> new cartridges (VOL1 TM TM) with the next volume serials.</summary>
    public Task<IReadOnlyList<string>> LabelAsync(int count, CancellationToken ct = default)
    {
        if (count is < 1 or > 1000)
            Throw.Invalid("tape.label.count", $"label 1..1000 cartridges at a time, not {count}");
        return UseDriveAsync<IReadOnlyList<string>>(writes: true, () =>
        {
            _cartridges.EnsureFreeSlot(count);
            var serials = new List<string>();
            for (int i = 0; i < count; i++)
            {
                using var drive = _cartridges.MountScratch(out string serial);
                CartridgeWriter.LabelNew(drive, new VolumeLabel { VolumeSerial = serial, Owner = _cartridges.Owner });
                serials.Add(serial);
            }
            return serials;
        }, ct);
    }

    public Task<LibraryScan> ScanAsync(CancellationToken ct = default) =>
        UseDriveAsync(writes: false, () => ReportDamaged(LibraryScan.Run(_cartridges, ImageBytes, ct)), ct);

    /// <summary>Every cartridge with its state, free space and the backups that start on it (management information read).</summary>
    public Task<IReadOnlyList<CartridgeSummary>> ListAsync(CancellationToken ct = default) =>
        UseDriveAsync<IReadOnlyList<CartridgeSummary>>(writes: false, () =>
        {
            var scan = ReportDamaged(LibraryScan.Run(_cartridges, ImageBytes, ct));
            var reader = new TapeBackupReader(_cartridges);
            var cuts = ReadCutLog();
            return scan.Cartridges.Select(c => Summarize(c, scan, reader) with { TailCuts = CutsOf(c.VolumeSerial, cuts) }).ToList();
        }, ct);

    private CartridgeSummary Summarize(ScannedCartridge c, LibraryScan scan, TapeBackupReader reader)
    {
        long capacity = Config.CapacityBytes;
        if (c.Damaged)
            return new CartridgeSummary(c.VolumeSerial, "damaged", c.ImageBytes, capacity, 0, [], 0, c.Error);
        var info = c.Info!;
        string state = info.IsClosed ? "closed" : info.Files.Count == 0 ? "empty" : "appendable";
        long free = info.IsClosed ? 0 : Math.Max(0, (info.RemainingBytes ?? capacity - c.ImageBytes) - CartridgeWriter.TrailerReserveBytes);
        var backups = new List<TapeBackupEntry>();
        foreach (var b in scan.Backups.Where(b => b.Location.VolumeSerial == c.VolumeSerial))
        {
            try
            {
                var m = reader.ReadManagement(b.Location);
                var row = TapeCatalogRows.RowFor(m, LibraryId, b.Location);
                backups.Add(new TapeBackupEntry(b.MediaId, row.BackupId, row.Host, row.MountPoint, row.Label, row.Timestamp, row.Kind, b.Volumes, b.Problem));
            }
            catch (SnapcatException e)
            {
                backups.Add(new TapeBackupEntry(b.MediaId, null, null, null, null, null, null, b.Volumes, b.Problem ?? $"{e.Message} ({e.Code})"));
            }
        }
        int continued = info.Files.Count(f => f.FileSection > 1);
        return new CartridgeSummary(c.VolumeSerial, state, c.ImageBytes, capacity, free, backups, continued, null);
    }

    /// <summary>
    /// Adds a cartridge image from elsewhere. It must pass a full label scan (every block count checked) and
    /// its volume serial must be new here; it is copied in under a temporary name, flushed, then renamed to
    /// <c>VOLSER.aws</c>, so a half-copied file never appears as a cartridge.
    /// </summary>
    public Task<CartridgeSummary> ImportAsync(string file, CancellationToken ct = default) =>
        UseDriveAsync(writes: true, () =>
        {
            if (!File.Exists(file))
                Throw.NotFound("tape.import.missing", $"no file at {file}");
            CartridgeInfo info;
            try
            {
                using var drive = new AwsTapeDrive(file, Config.CapacityBytes, readOnly: true);
                drive.Load();
                info = CartridgeScanner.Scan(drive);
            }
            catch (SnapcatException e)
            {
                throw new SnapcatException(ErrorKind.Invalid, "tape.import.invalid", $"{file} is not a readable Snapcat cartridge: {e.Message} ({e.Code})", e);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new SnapcatException(ErrorKind.Invalid, "tape.import.invalid", $"{file} is not a readable Snapcat cartridge: {e.Message}", e);
            }
            string serial = info.Volume.VolumeSerial;
            if (new FileInfo(file).Length > Config.CapacityBytes)
                Throw.Invalid("tape.import.too_large", $"cartridge {serial} ({new FileInfo(file).Length} bytes) is larger than this library's cartridge capacity ({Config.Capacity})");
            if (_directory.VolumeSerials().Contains(serial))
                Throw.Conflict("tape.import.duplicate", $"the library already holds a cartridge {serial}; export or rename it first");
            _cartridges.EnsureFreeSlot(1);
            string target = _directory.PathOf(serial);
            string temp = Path.Combine(Config.Directory, $".import-{serial}-{Guid.NewGuid():N}.tmp");
            try
            {
                // Data fsynced under the temporary name, then the rename and the directory fsynced: after a crash the
                // cartridge is either wholly in the library or not at all.
                CopyDurably(file, temp);
                DurableFile.MoveDurably(temp, target);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            var scan = LibraryScan.Run(_cartridges, ImageBytes, ct);
            return Summarize(scan.Cartridges.Single(c => c.VolumeSerial == serial), scan, new TapeBackupReader(_cartridges));
        }, ct);

    /// <summary>Copies a cartridge image out to <paramref name="destinationDirectory"/> (as VOLSER.aws) and optionally removes it from the library.</summary>
    public Task<string> ExportAsync(string volumeSerial, string destinationDirectory, bool remove, CancellationToken ct = default) =>
        UseDriveAsync(writes: true, () =>
        {
            VolumeLabel.CheckSerial(volumeSerial);
            string source = _directory.PathOf(volumeSerial);
            if (!File.Exists(source))
                Throw.NotFound("tape.cartridge_not_found", $"cartridge {volumeSerial} is not in the library at {Config.Directory}");
            DurableFile.CreateDirectory(destinationDirectory);
            string target = Path.Combine(destinationDirectory, volumeSerial + DirectoryCartridgeLibrary.Extension);
            if (Path.GetFullPath(target) == Path.GetFullPath(source))
                Throw.Invalid("tape.export.same_place", "export to a directory other than the library's own");
            if (File.Exists(target))
                Throw.Conflict("tape.export.exists", $"{target} already exists; remove it or export elsewhere");
            string temp = target + ".tmp";
            try
            {
                // Order: the copy's data fsynced, its rename fsynced in the destination directory, and only then the
                // source unlinked (and that unlink fsynced): a crash anywhere leaves two copies, never none.
                CopyDurably(source, temp);
                DurableFile.MoveDurably(temp, target);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            if (remove) DurableFile.DeleteDurably(source);
            return target;
        }, ct);

    /// <summary>Reads a backup back and checks its length, block count and CRC-32C against its trailer.</summary>
    public Task<TapeBackupResult> VerifyAsync(string mediaId, CancellationToken ct = default)
    {
        var location = TapeMediaId.Parse(mediaId);
        return UseDriveAsync(writes: false, async () =>
            (await new TapeBackupReader(_cartridges).CopyDataToAsync(location, Stream.Null, ct).ConfigureAwait(false)).Result, ct);
    }

    /// <summary>
    /// The data size of the backup at <paramref name="mediaId"/> from its trailer (labels and trailer read, not the
    /// data): what a volume must hold to take it back. <c>tape.backup_files</c> when the backup is incomplete.
    /// </summary>
    public Task<long> DataBytesAsync(string mediaId, CancellationToken ct = default)
    {
        var location = TapeMediaId.Parse(mediaId);
        return UseDriveAsync(writes: false, () =>
        {
            var scan = LibraryScan.Run(_cartridges, ImageBytes, ct);
            var backup = scan.Backups.FirstOrDefault(b => b.Location == location);
            if (backup is null)
                Throw.NotFound("tape.backup_missing", $"no backup starts at {mediaId} in tape library {LibraryId}");
            if (backup.Problem is not null)
                throw new SnapcatException(ErrorKind.Invalid, "tape.backup_files", $"the backup at {mediaId} is incomplete: {backup.Problem}");
            return LibraryScan.ReadTrailer(_cartridges, backup).DataBytes;
        }, ct);
    }

    private long ImageBytes(string serial)
    {
        var f = new FileInfo(_directory.PathOf(serial));
        return f.Exists ? f.Length : 0;
    }

    private static void CopyDurably(string from, string to)
    {
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 20 };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = DurableFile.PrivateFile; // backup data: owner only
        using (var src = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        using (var dst = new FileStream(to, create))
        {
            src.CopyTo(dst, 1 << 20);
            dst.Flush(flushToDisk: true);
        }
    }

    public void Dispose()
    {
        _drives.Dispose();
        _append.Dispose();
    }
}
