namespace Snapcat.Agent.FileRestore;

/// <summary>
/// Copies chosen files and directories out of a mounted backup volume (FIG. 13 step 1633) to a
/// destination: the original mount point by default, or another directory. Keeps each entry's mode,
/// modification and access times, owner (when running as root) and symbolic links as links.
///
/// Failure policy: an entry that cannot be copied is recorded in the report and the copy goes on, so
/// one unreadable file does not cost the rest; the caller turns an incomplete report into an error
/// status. Existing files at the destination are replaced (that is what restoring means). Nothing is
/// written through a symbolic link already present at the destination.
/// </summary>
public static class FileCopier
{
    public static FileCopyReport Copy(string backupRoot, IReadOnlyList<string> patterns, string destination, LogSink log, CancellationToken ct)
    {
        if (!Path.IsPathRooted(destination)) Throw.Invalid("restore.destination_invalid", $"the destination '{destination}' is not an absolute path");
        if (patterns.Count == 0) Throw.Invalid("restore.nothing_requested", "no files or directories were requested");
        if (!Directory.Exists(backupRoot)) Throw.NotFound("restore.root_missing", $"the backup root {backupRoot} does not exist");

        var notMatched = new List<string>();
        var entries = RestoreSelection.Select(backupRoot, patterns, notMatched);
        foreach (string nm in notMatched) log.Warn($"file restore: '{nm}' matches nothing in the backup");

        Directory.CreateDirectory(destination);
        var copied = new List<CopiedEntry>();
        var skipped = new List<string>();
        var failed = new List<string>();
        // Directory times are set last, deepest first: copying into a directory changes its mtime.
        var directoryTimes = new List<(string Source, string Target)>();
        var createdDirs = new HashSet<string>(StringComparer.Ordinal);

        foreach (var e in entries)
        {
            ct.ThrowIfCancellationRequested();
            string source = Path.Combine(backupRoot, e.RelativePath);
            string target = Path.Combine(destination, e.RelativePath);
            try
            {
                EnsureParents(backupRoot, destination, e.RelativePath, createdDirs, directoryTimes);
                switch (e.Kind)
                {
                    case CopiedKind.Directory:
                        CopyDirectory(source, target, createdDirs);
                        directoryTimes.Add((source, target));
                        copied.Add(new CopiedEntry(e.RelativePath, e.Kind, 0));
                        break;
                    case CopiedKind.File:
                        long bytes = CopyFile(source, target);
                        copied.Add(new CopiedEntry(e.RelativePath, e.Kind, bytes));
                        break;
                    case CopiedKind.Symlink:
                        CopySymlink(source, target);
                        copied.Add(new CopiedEntry(e.RelativePath, e.Kind, 0));
                        break;
                    default:
                        skipped.Add($"{e.RelativePath}: not a regular file, directory or symbolic link");
                        break;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SnapcatException)
            {
                failed.Add($"{e.RelativePath}: {ex.Message}");
                log.Error($"file restore: {e.RelativePath} not copied: {ex.Message}");
            }
        }

        foreach (var (source, target) in directoryTimes.OrderByDescending(d => d.Target.Length))
        {
            Directory.SetLastWriteTimeUtc(target, Directory.GetLastWriteTimeUtc(source));
            Directory.SetLastAccessTimeUtc(target, Directory.GetLastAccessTimeUtc(source));
        }

        var report = new FileCopyReport(copied, skipped, failed, notMatched);
        log.Info($"file restore: copied {copied.Count} entries ({report.TotalBytes} bytes) to {destination}; " +
                 $"{skipped.Count} skipped, {failed.Count} failed, {notMatched.Count} requests matched nothing");
        return report;
    }

    private static void EnsureParents(string root, string destination, string relative, HashSet<string> created, List<(string, string)> times)
    {
        string[] parts = relative.Split('/');
        string src = root, dst = destination;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            src = Path.Combine(src, parts[i]);
            dst = Path.Combine(dst, parts[i]);
            var existing = RestoreSelection.KindOf(dst);
            if (existing == CopiedKind.Directory) continue;
            if (existing is not null)
                Throw.Conflict("restore.destination_conflict", $"{dst} exists and is not a directory (a symbolic link is not followed)");
            CopyDirectory(src, dst, created);
            times.Add((src, dst));
        }
    }

    private static void CopyDirectory(string source, string target, HashSet<string> created)
    {
        var existing = RestoreSelection.KindOf(target);
        if (existing is not null and not CopiedKind.Directory)
            Throw.Conflict("restore.destination_conflict", $"{target} exists and is not a directory (a symbolic link is not followed)");
        if (existing is null)
        {
            Directory.CreateDirectory(target);
            created.Add(target);
        }
        UnixStat.CopyOwner(source, target);
        File.SetUnixFileMode(target, File.GetUnixFileMode(source));
    }

    private static long CopyFile(string source, string target)
    {
        var existing = RestoreSelection.KindOf(target);
        if (existing is CopiedKind.Directory)
            Throw.Conflict("restore.destination_conflict", $"{target} is a directory; the backup has a file there");
        // A link at the target is replaced, not written through: it could point anywhere on the host.
        if (existing is CopiedKind.Symlink or CopiedKind.Other) File.Delete(target);
        File.Copy(source, target, overwrite: true);
        // Owner before mode: chown clears the set-user-ID and set-group-ID bits.
        UnixStat.CopyOwner(source, target);
        File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(source));
        File.SetLastAccessTimeUtc(target, File.GetLastAccessTimeUtc(source));
        return new FileInfo(target).Length;
    }

    private static void CopySymlink(string source, string target)
    {
        string linkTarget = new FileInfo(source).LinkTarget!;
        var existing = RestoreSelection.KindOf(target);
        if (existing is CopiedKind.Directory)
            Throw.Conflict("restore.destination_conflict", $"{target} is a directory; the backup has a symbolic link there");
        if (existing is not null) File.Delete(target);
        // The link text is restored as it was, relative or absolute; it is not resolved here.
        File.CreateSymbolicLink(target, linkTarget);
        UnixStat.CopyOwner(source, target);
    }
}
