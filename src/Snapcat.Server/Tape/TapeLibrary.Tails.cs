using System.Text.Json;
using Microsoft.Extensions.Logging;
using Snapcat.Core.Storage;
using Snapcat.Tape.Backup;

namespace Snapcat.Server.Tape;

public sealed partial class TapeLibrary
{
    /// <summary>The cut log, one JSON object per line; not a <c>.aws</c> file, so never taken for a cartridge.</summary>
    public const string TailCutLog = "tail-cuts.jsonl";

    private const int CutsShownPerCartridge = 10;
    private static readonly JsonSerializerOptions CutJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Cuts torn and interrupted tails off every cartridge (issue 9.4): run once when the server starts, before it
    /// takes requests, and again before every append (<see cref="TapeCopy"/>). Returns what was cut.
    /// </summary>
    public Task<IReadOnlyList<TapeTailCutEntry>> RecoverTailsAsync(CancellationToken ct = default) =>
        UseDriveAsync(writes: true, RecoverTailsLocked, ct);

    /// <summary>The work of <see cref="RecoverTailsAsync"/>; the caller holds the append lock.</summary>
    internal IReadOnlyList<TapeTailCutEntry> RecoverTailsLocked()
    {
        var cuts = new List<TapeTailCutEntry>();
        foreach (string serial in _directory.VolumeSerials())
        {
            long before = ImageBytes(serial);
            TailCut? cut;
            try
            {
                cut = TapeTailRepair.Repair(_cartridges, serial);
            }
            catch (Exception e) when (e is SnapcatException or IOException)
            {
                LogTailNotRepaired(_log, serial, e.Message);
                ReportDamaged(serial, $"the end of the cartridge cannot be checked: {e.Message}");
                continue;
            }
            if (cut is null)
                continue;
            var entry = new TapeTailCutEntry(Clock.GetUtcNow(), serial, cut.Reason, cut.KeptFiles, cut.Removed, before, ImageBytes(serial));
            AppendCutLog(entry);
            LogTailCut(_log, serial, before - entry.BytesAfter, entry.KeptFiles, string.Join(", ", entry.Removed), entry.Reason);
            ReportDamaged(serial, $"a torn tail of {before - entry.BytesAfter} bytes was cut off, {entry.KeptFiles} complete file(s) kept: {entry.Reason}");
            cuts.Add(entry);
        }
        return cuts;
    }

    /// <summary>Appends one line and fsyncs it: the record of a cut must not be lost when the cut itself was durable.</summary>
    private void AppendCutLog(TapeTailCutEntry entry)
    {
        string path = Path.Combine(Config.Directory, TailCutLog);
        bool created = !File.Exists(path);
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DurableFile.PrivateFile;
        using (var f = new FileStream(path, options))
        {
            f.Write(JsonSerializer.SerializeToUtf8Bytes(entry, CutJson));
            f.WriteByte((byte)'\n');
            f.Flush(flushToDisk: true);
        }
        if (created) DurableFile.SyncDirectory(Config.Directory);
    }

    /// <summary>The last cuts recorded for <paramref name="serial"/>, oldest first. A line that does not parse (a crash
    /// while it was appended) is skipped.</summary>
    private IReadOnlyList<TapeTailCutEntry> CutsOf(string serial, IReadOnlyList<TapeTailCutEntry> all) =>
        all.Where(c => c.VolumeSerial == serial).TakeLast(CutsShownPerCartridge).ToList();

    private List<TapeTailCutEntry> ReadCutLog()
    {
        string path = Path.Combine(Config.Directory, TailCutLog);
        var cuts = new List<TapeTailCutEntry>();
        if (!File.Exists(path))
            return cuts;
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                if (JsonSerializer.Deserialize<TapeTailCutEntry>(line, CutJson) is { } c) cuts.Add(c);
            }
            catch (JsonException) { }
        }
        return cuts;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "tape library: cut {Bytes} bytes off the end of cartridge {VolumeSerial}, keeping {KeptFiles} complete file(s); removed {Removed}: {Reason}")]
    private static partial void LogTailCut(ILogger log, string volumeSerial, long bytes, int keptFiles, string removed, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "tape library: cannot check the end of cartridge {VolumeSerial}: {Reason}")]
    private static partial void LogTailNotRepaired(ILogger log, string volumeSerial, string reason);
}
