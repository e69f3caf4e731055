using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Snapcat.Core.Storage;

namespace Snapcat.Server.Notifications;

/// <summary>
/// Looks at the free space of the server's own file systems (the SQLite catalog's folder, the configuration's folder,
/// the tape library's directory) every <see cref="Interval"/> and reports each one used above the notifier's
/// <see cref="Notifier.DiskFullPercent"/> as <see cref="NotificationKind.DiskNearlyFull"/>; with <paramref name="arrays"/>,
/// also each array's data file system as the array reports it (GET /v1/array). An array that does not answer is left
/// for the next look (its reachability is the status command's and the run's business, not a disk warning).
/// </summary>
public sealed partial class DiskSpaceWatch(Notifier notifier, IReadOnlyList<(string What, string Path)> paths, TimeProvider? time = null, ILogger? log = null,
    Func<CancellationToken, Task<IReadOnlyList<Snapcat.Contracts.Array.ArrayInfo>>>? arrays = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _log = log ?? NullLogger.Instance;

    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    public IReadOnlyList<(string What, string Path)> Paths => paths;

    /// <summary>The folders of <paramref name="config"/>: the configuration's, the SQLite catalog's and the tape library's.</summary>
    public static DiskSpaceWatch For(Snapcat.Server.Config.LoadedServerConfig config, Notifier notifier, ILoggerFactory? logs = null,
        Func<CancellationToken, Task<IReadOnlyList<Snapcat.Contracts.Array.ArrayInfo>>>? arrays = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var list = new List<(string What, string Path)>();
        void Add(string what, string? dir)
        {
            if (!string.IsNullOrEmpty(dir) && !list.Any(p => p.Path == dir)) list.Add((what, dir));
        }
        // A catalog location that is a rooted path is SQLite; a PostgreSQL server's disk is not ours to see.
        if (Path.IsPathFullyQualified(config.CatalogLocation) && !config.CatalogLocation.Contains('=', StringComparison.Ordinal))
            Add("catalog", Path.GetDirectoryName(config.CatalogLocation));
        Add("server configuration folder", Path.GetDirectoryName(config.ConfigPath));
        if (config.TapeLibrary is { } t) Add("tape library", t.Directory);
        return new DiskSpaceWatch(notifier, list, log: logs?.CreateLogger<DiskSpaceWatch>(), arrays: arrays);
    }

    /// <summary>One look at every path; returns the ones found too full.</summary>
    public IReadOnlyList<string> CheckOnce()
    {
        var full = new List<string>();
        foreach (var (what, path) in paths)
        {
            if (FileSystemSpace.TryRead(path, out string? problem) is not { } space)
            {
                LogUnreadable(what, path, problem ?? "unknown");
                continue;
            }
            if (space.TotalBytes <= 0) continue;
            if (space.UsedPercent >= notifier.DiskFullPercent)
            {
                full.Add(path);
                notifier.DiskNearlyFull(what, path, space);
            }
        }
        return full;
    }

    /// <summary>One look at every array's data file system; returns the device IDs found too full.</summary>
    public async Task<IReadOnlyList<string>> CheckArraysOnceAsync(CancellationToken ct)
    {
        var full = new List<string>();
        if (arrays is null) return full;
        foreach (var a in await arrays(ct).ConfigureAwait(false))
        {
            if (a.DataFreeBytes is not { } free || a.DataTotalBytes is not { } total || total <= 0) continue;
            var space = new FileSystemSpace(free, total);
            if (space.UsedPercent >= notifier.DiskFullPercent)
            {
                full.Add(a.DeviceId);
                notifier.DiskNearlyFull($"array {a.DeviceId} data file system", $"{a.DeviceId}:data", space);
            }
        }
        return full;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            CheckOnce();
            await CheckArraysOnceAsync(ct).ConfigureAwait(false);
            try { await Task.Delay(Interval, _time, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "disk space of the {What} at {Path} cannot be read: {Reason}")]
    private partial void LogUnreadable(string what, string path, string reason);
}
