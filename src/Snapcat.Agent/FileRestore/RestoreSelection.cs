using Microsoft.Extensions.FileSystemGlobbing;

namespace Snapcat.Agent.FileRestore;

/// <summary>
/// Turns the requested paths and globs (relative to the mounted backup's root; a leading '/' means
/// the same) into the entries to copy. Nothing outside the root is ever selected: '..' is refused,
/// symbolic links are never followed (a link is selected as a link), and an exact path that passes
/// through a link is refused because the link could point anywhere on this host.
/// Globs (*, ?, **, [..]) match files and links; a directory is selected by naming it exactly, which
/// takes its whole subtree.
/// </summary>
public static class RestoreSelection
{
    public sealed record Entry(string RelativePath, CopiedKind Kind);

    public static string Normalize(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern)) Throw.Invalid("restore.path_empty", "an empty path was requested");
        if (pattern.Contains('\0')) Throw.Invalid("restore.path_invalid", "a requested path contains a NUL character");
        var parts = pattern.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
            Throw.Invalid("restore.path_escapes", $"'{pattern}' contains '..'; requested paths must stay inside the backup volume");
        return string.Join('/', parts);
    }

    public static bool IsGlob(string normalized) => normalized.IndexOfAny(['*', '?', '[', '{']) >= 0;

    /// <summary>Selects entries for every pattern; patterns that select nothing go to <paramref name="notMatched"/>.</summary>
    public static IReadOnlyList<Entry> Select(string root, IEnumerable<string> patterns, List<string> notMatched)
    {
        var normalized = patterns.Select(p => (Original: p, Path: Normalize(p))).ToArray();
        var chosen = new Dictionary<string, Entry>(StringComparer.Ordinal);
        List<Entry>? all = null;

        foreach (var (original, path) in normalized)
        {
            int before = chosen.Count;
            if (path.Length == 0)
            {
                foreach (var e in Walk(root, "")) chosen.TryAdd(e.RelativePath, e);
            }
            else if (IsGlob(path))
            {
                all ??= Walk(root, "").ToList();
                var matcher = new Matcher(StringComparison.Ordinal);
                matcher.AddInclude(path);
                var leaves = all.Where(e => e.Kind is CopiedKind.File or CopiedKind.Symlink).ToDictionary(e => e.RelativePath);
                var result = matcher.Match(root, leaves.Keys.Select(k => Path.Combine(root, k)));
                foreach (var m in result.Files) chosen.TryAdd(m.Path, leaves[m.Path]);
            }
            else
            {
                var kind = ExactKind(root, path, original);
                if (kind is CopiedKind k)
                {
                    chosen.TryAdd(path, new Entry(path, k));
                    if (k == CopiedKind.Directory)
                        foreach (var e in Walk(root, path)) chosen.TryAdd(e.RelativePath, e);
                }
            }
            if (chosen.Count == before && !AlreadyCovered(chosen, path)) notMatched.Add(original);
        }
        // Parents before children, so directories exist before what goes into them.
        return chosen.Values.OrderBy(e => e.RelativePath, StringComparer.Ordinal).ToArray();
    }

    private static bool AlreadyCovered(Dictionary<string, Entry> chosen, string path) => chosen.ContainsKey(path);

    private static CopiedKind? ExactKind(string root, string relative, string original)
    {
        string[] parts = relative.Split('/');
        string at = root;
        for (int i = 0; i < parts.Length; i++)
        {
            at = Path.Combine(at, parts[i]);
            var kind = KindOf(at);
            if (kind is null) return null;
            if (i < parts.Length - 1 && kind != CopiedKind.Directory)
            {
                if (kind == CopiedKind.Symlink)
                    Throw.Invalid("restore.path_escapes", $"'{original}' passes through the symbolic link '{string.Join('/', parts[..(i + 1)])}', which could lead outside the backup volume; request the link itself or the directory it points to inside the volume");
                return null;
            }
        }
        return KindOf(at);
    }

    /// <summary>The kind of the entry itself (lstat semantics), or null when there is none.</summary>
    internal static CopiedKind? KindOf(string path) => UnixStat.TypeOf(path) switch
    {
        UnixStat.EntryType.File => CopiedKind.File,
        UnixStat.EntryType.Directory => CopiedKind.Directory,
        UnixStat.EntryType.Symlink => CopiedKind.Symlink,
        UnixStat.EntryType.Other => CopiedKind.Other,
        _ => null,
    };

    /// <summary>Every entry below <paramref name="relative"/> (not the directory itself), never following links.</summary>
    private static IEnumerable<Entry> Walk(string root, string relative)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        var dir = new DirectoryInfo(relative.Length == 0 ? root : Path.Combine(root, relative));
        foreach (var info in dir.EnumerateFileSystemInfos("*", options).OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            string rel = relative.Length == 0 ? info.Name : relative + "/" + info.Name;
            var kind = KindOf(info.FullName);
            if (kind is null) continue; // removed while we looked; cannot happen on a read-only mount
            yield return new Entry(rel, kind.Value);
            if (kind == CopiedKind.Directory)
                foreach (var e in Walk(root, rel)) yield return e;
        }
    }
}
