namespace Snapcat.Cli.Quickstart;

// Restores through the server, which orders the agent of the backup's host (`snapcat backup restore`).
public static partial class QuickstartSteps
{
    private static async Task RestoreVolumeAsync(QuickstartContext c, CancellationToken ct)
    {
        var server = c.RequireServer();
        // Force: the quickstart's primary has no host mounting it, and the agent would otherwise want
        // an unmount preprocess to prove nothing writes during the restore.
        var job = await WaitAsync(server, await server.RestoreAsync(c.MirrorBackupId, new RestoreRequest(Force: true), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        c.Note($"snapcat backup restore {c.MirrorBackupId} --force --wait  -> job {job.Id} succeeded (volume {c.Secondary} copied back onto {c.Primary})");
        string now = await ReadAppConfAsync(c, ct).ConfigureAwait(false);
        if (now != GoodConf)
            Throw.Internal("quickstart.restore", $"after the restore /{AppConf} reads {OneLine(now)}, not the backed-up {OneLine(GoodConf)}");
        c.Note(c.Ext4
            ? $"debugfs -R 'cat /{AppConf}' on an nbdcopy of the primary: {OneLine(now)} — the file is back"
            : $"block 0 of the primary: {OneLine(now)} — the data is back");
    }

    private static async Task RestoreFileAsync(QuickstartContext c, CancellationToken ct)
    {
        if (!c.Ext4)
        {
            c.Skip("the primary holds no file system (mke2fs/nbdcopy missing)");
            return;
        }
        if (WhyNoFileRestore() is { } why)
        {
            c.Skip(why);
            return;
        }
        string destination = c.Path("restored");
        Directory.CreateDirectory(destination);
        var server = c.RequireServer();
        var job = await WaitAsync(server,
            await server.RestoreAsync(c.SnapshotBackupId, new RestoreRequest(Files: [AppConf], Destination: destination), ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        c.Note($"snapcat backup restore {c.SnapshotBackupId} --files {AppConf} --destination restored --wait  -> job {job.Id} succeeded");
        c.Note($"the agent assigned the snapshot to its restore port {c.RestorePort} LUN {QuickstartContext.RestoreLun}, attached it with nbdfuse, mounted it read-only, copied, and undid it all");
        string restored = System.IO.Path.Combine(destination, AppConf);
        if (!File.Exists(restored) || await File.ReadAllTextAsync(restored, ct).ConfigureAwait(false) != GoodConf)
            Throw.Internal("quickstart.file_restore", $"{restored} is missing or does not hold the backed-up contents");
        var others = Directory.EnumerateFiles(destination, "*", SearchOption.AllDirectories).Count();
        c.Note($"restored/{AppConf}: {OneLine(await File.ReadAllTextAsync(restored, ct).ConfigureAwait(false))}; {others} file(s) in restored/, only the one asked for");
    }

    /// <summary>A file restore mounts the backup: root, FUSE and the tools it drives must be there.</summary>
    private static string? WhyNoFileRestore()
    {
        if (Environment.UserName != "root") return "a file restore mounts the backup volume, which needs root";
        if (!File.Exists("/dev/fuse")) return "a file restore attaches the backup volume with FUSE, and /dev/fuse is missing";
        foreach (string tool in new[] { "nbdfuse", "fusermount3", "fsck.ext4", "mount", "umount" })
            if (ExternalTool.Find(tool) is null) return $"{tool} is not installed (needed to attach and mount the backup volume)";
        return null;
    }
}
