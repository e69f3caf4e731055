using System.Text.RegularExpressions;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Daemon;

/// <summary>
/// A created or removed name is durable only once its directory is fsynced. A real array daemon
/// under strace creates and deletes volumes and snapshots; every mkdir, file creation, rename and
/// unlink in its data directory must be followed by an fsync of the directory that holds the name.
/// (SQLite's own files, array.db*, are SQLite's business, and the lock file holds nothing.)
/// </summary>
public sealed partial class DirectoryFsyncTests
{
    [Fact]
    public async Task Volume_and_snapshot_create_and_delete_fsync_every_directory_they_change()
    {
        if (!Tool.Exists("strace")) throw new InvalidOperationException("this test traces the array daemon with strace (apt-get install strace)");
        await using var aSystem = new SnapcatSystem();
        var a = await aSystem.StartArrayAsync("ARRAY-DIRSYNC", dataPortCount: 1);
        string trace = Path.Combine(a.Dir, "strace.log");
        await a.StopCleanlyAsync();
        await a.RestartAsync(["strace", "-f", "-qq", "-o", trace, "-e", "trace=open,openat,creat,fsync,mkdir,mkdirat,unlink,unlinkat,rmdir,rename,renameat,renameat2"]);

        var v = await a.Client.CreateVolumeAsync("4M");
        await a.AssignAsync(v.Number, 1, readOnly: false);
        var s1 = await a.Client.CreateSnapshotAsync(v.Number);
        await a.Port(0).FillAsync(1, 1L << 20, seed: 5);  // copy-on-write into the snapshot's store
        var s2 = await a.Client.CreateSnapshotAsync(v.Number);
        await a.Port(0).FillAsync(1, 1L << 20, seed: 6);
        // Last in its directory on purpose: nothing after it fsyncs that directory by chance.
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"/v1/volumes/{s1.Number}")).StatusCode);
        var w = await a.Client.CreateVolumeAsync("1M");
        await a.Client.CreateSnapshotAsync(w.Number);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"/v1/volumes/{w.Number}?force=true")).StatusCode);
        var gone = await a.Client.CreateVolumeAsync("1M");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await a.Http.DeleteAsync($"/v1/volumes/{gone.Number}")).StatusCode);
        // SIGTERM to the daemon itself (strace's child); strace ends with it, the trace complete.
        string children = await File.ReadAllTextAsync($"/proc/{a.Process!.Pid}/task/{a.Process.Pid}/children");
        string daemon = children.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        (await Tool.RunAsync("kill", ["-TERM", daemon])).EnsureSuccess("kill -TERM");
        await a.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        _ = s2;

        var missing = Check(await File.ReadAllLinesAsync(trace), Path.GetFullPath(a.DataPath));
        Assert.True(missing.Count == 0, "names changed without an fsync of their directory afterwards:\n" + string.Join("\n", missing));
    }

    /// <summary>Replays the trace: each change of a name under <paramref name="root"/> waits for an fsync of an fd open on its parent directory.</summary>
    private static List<string> Check(string[] lines, string root)
    {
        var pending = new Dictionary<string, List<string>>(StringComparer.Ordinal);  // directory -> changes not yet synced
        var fds = new Dictionary<string, string>();                                    // fd -> directory opened O_DIRECTORY
        var unfinished = new Dictionary<string, string>();                             // tid -> first half of a split line
        int changes = 0;
        foreach (string raw in lines)
        {
            var m = Line().Match(raw);
            if (!m.Success) continue;
            string tid = m.Groups[1].Value, text = m.Groups[2].Value;
            if (text.EndsWith("<unfinished ...>", StringComparison.Ordinal))
            {
                unfinished[tid] = text[..^"<unfinished ...>".Length];
                continue;
            }
            var resumed = Resumed().Match(text);
            if (resumed.Success)
            {
                if (!unfinished.Remove(tid, out string? first)) continue;
                text = first + resumed.Groups[1].Value;
            }
            var call = Call().Match(text);
            if (!call.Success) continue;
            string name = call.Groups[1].Value, args = call.Groups[2].Value, result = call.Groups[3].Value;
            if (result.StartsWith('-')) continue;  // failed calls change nothing
            var paths = Quoted().Matches(args).Select(q => q.Groups[1].Value).ToList();

            if (name == "fsync")
            {
                if (fds.TryGetValue(args.Trim(), out string? dir)) pending.Remove(dir);
                continue;
            }
            if (name is "open" or "openat")
            {
                if (paths.Count == 0) continue;
                if (args.Contains("O_DIRECTORY", StringComparison.Ordinal)) { fds[result] = paths[0]; continue; }
                fds.Remove(result);
                // Snapcat creates every new file with O_EXCL (CreateNew); O_CREAT alone opens existing ones.
                if (args.Contains("O_CREAT", StringComparison.Ordinal) && args.Contains("O_EXCL", StringComparison.Ordinal)) Note(paths[0], name);
                continue;
            }
            if (name == "rmdir" || (name == "unlinkat" && args.Contains("AT_REMOVEDIR", StringComparison.Ordinal)))
            {
                // Changes inside a removed directory need no fsync of it; its own entry needs one of its parent.
                if (paths.Count > 0) { pending.Remove(paths[0]); Note(paths[0], "rmdir"); }
                continue;
            }
            foreach (string p in paths) Note(p, name);  // mkdir, unlink, rename (both names)
        }
        Assert.True(changes > 10, $"the trace shows only {changes} name changes under {root}; was strace following the daemon?");
        return pending.SelectMany(kv => kv.Value.Select(c => $"{c} (directory {kv.Key} never fsynced afterwards)")).ToList();

        void Note(string path, string how)
        {
            if (!path.StartsWith(root + "/", StringComparison.Ordinal)) return;
            string file = Path.GetFileName(path);
            if (file.StartsWith("array.db", StringComparison.Ordinal) || file == "array.lock") return;
            changes++;
            string dir = Path.GetDirectoryName(path)!;
            if (!pending.TryGetValue(dir, out var list)) pending[dir] = list = [];
            list.Add($"{how} {path}");
        }
    }

    [GeneratedRegex(@"^(\d+)\s+(.*)$")]
    private static partial Regex Line();

    [GeneratedRegex(@"^<\.\.\. \w+ resumed>(.*)$")]
    private static partial Regex Resumed();

    [GeneratedRegex(@"^(\w+)\((.*)\)\s+=\s+(-?\d+)")]
    private static partial Regex Call();

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Quoted();
}
