using System.Diagnostics;
using System.Text;
using Snapcat.Agent.Processes;
using Snapcat.Nbd.Client;

namespace Snapcat.Agent.Attach;

/// <summary>
/// Attaches an NBD export on Linux without a kernel NBD client:
///   1. nbdfuse -r WORK/fuse/disk nbd://host:port/LUN   — a child process in the foreground exposing
///      the export as one read-only file on a FUSE mount (undo: fusermount3 -u, wait for it to exit).
///      With TLS, nbdfuse cannot take the nbds:// URI: libnbd 1.14's nbdfuse refuses URIs that name
///      local files ("local file access (tls-psk-file) is not allowed"). It runs nbdkit's nbd plugin
///      instead (--command nbdkit -s nbd … tls=require tls-psk=F tls-username=U, or
///      tls-certificates=WORK/tls for X.509: a directory laid out for libnbd and removed again on
///      detach, as it holds a copy of the key), which makes the TLS connection and speaks to nbdfuse
///      over a pipe;
///   2. wait until that file exists with the volume's size (poll with a timeout);
///   3. fsck.ext4 -n on the file — a check that changes nothing (FIG. 13 "inspection");
///   4. mount -o ro,loop,noload — read-only loop mount; noload because replaying the journal would
///      need writes that a read-only device refuses (undo: umount).
/// Any failure undoes the steps already done, in reverse order.
/// </summary>
public sealed class NbdFuseAttacher(NbdFuseAttacher.Options? options = null) : IVolumeAttacher
{
    public sealed record Options
    {
        public string NbdFuse { get; init; } = "nbdfuse";
        /// <summary>The TLS leg of an attach with TLS (nbdkit's nbd plugin); see the class comment.</summary>
        public string NbdKit { get; init; } = "nbdkit";
        public string FuserMount { get; init; } = "fusermount3";
        public TimeSpan AppearTimeout { get; init; } = TimeSpan.FromSeconds(30);
        public TimeSpan ToolTimeout { get; init; } = TimeSpan.FromMinutes(10);
        public TimeSpan ExitTimeout { get; init; } = TimeSpan.FromSeconds(15);
    }

    private readonly Options _o = options ?? new Options();
    private readonly Dictionary<int, string> _lastError = [];

    public async Task<VolumeAttachment> AttachAsync(AttachRequest request, LogSink log, CancellationToken ct)
    {
        string fuseDir = Path.Combine(request.WorkDirectory, "fuse");
        string device = Path.Combine(fuseDir, "disk");
        Directory.CreateDirectory(fuseDir);
        Directory.CreateDirectory(request.MountDirectory);
        if (MountTable.IsMountPoint(fuseDir)) Throw.Conflict("attach.busy", $"{fuseDir} is already mounted; an earlier attach was not detached");
        if (MountTable.IsMountPoint(request.MountDirectory)) Throw.Conflict("attach.busy", $"{request.MountDirectory} is already a mount point");

        var undo = new UndoStack();
        try
        {
            // Step 1: nbdfuse in the foreground, as our child, so that we know when it ends.
            var fuse = StartNbdFuse(NbdFuseArguments(request, device, undo), log);
            undo.Push($"nbdfuse {request.Uri} on {fuseDir} (pid {fuse.Id})", () => StopNbdFuseAsync(fuse, fuseDir, log));
            log.Info($"attach: nbdfuse (pid {fuse.Id}) exposes {request.Uri} as {device}");

            // Step 2: the file appears once nbdfuse has connected and the FUSE mount is up.
            await WaitForDeviceAsync(fuse, device, request.ExpectedSize, ct).ConfigureAwait(false);

            // Step 3: read-only check.
            if (request.CheckFileSystem) await CheckAsync(request.FileSystemType, device, log, ct).ConfigureAwait(false);

            // Step 4: read-only loop mount.
            string opts = request.FileSystemType is "ext4" or "ext3" ? "ro,loop,noload" : request.FileSystemType == "xfs" ? "ro,loop,norecovery" : "ro,loop";
            await RunToolAsync("mount", ["-t", request.FileSystemType, "-o", opts, device, request.MountDirectory], "attach.mount_failed", log, ct).ConfigureAwait(false);
            undo.Push($"mount of {device} on {request.MountDirectory}", () => UnmountAsync(request.MountDirectory, log));
            log.Info($"attach: {request.Uri} mounted read-only on {request.MountDirectory}");
            return new VolumeAttachment(request, device, undo);
        }
        catch (Exception ex)
        {
            log.Error($"attach of {request.Uri} failed ({ex.Message}); undoing the steps done so far");
            try { await undo.UndoAllAsync(log).ConfigureAwait(false); }
            catch (SnapcatException undoFailure) { log.Error(undoFailure.Message); }
            throw;
        }
    }

    /// <summary>
    /// -r: read-only; the backup volume is assigned read-only anyway, and a read-only file makes the
    /// loop device read-only too. No "--" before the URI: nbdfuse reads what follows "--" as a
    /// command to run (its "CMD [ARGS]" mode); the URI starts with "nbd://", never with "-".
    /// </summary>
    private List<string> NbdFuseArguments(AttachRequest request, string device, UndoStack undo)
    {
        if (request.Tls is not { } tls) return ["-r", device, request.Uri];
        if (!OnPath(_o.NbdKit))
            Throw.Internal("attach.nbdkit_missing",
                $"a file restore over TLS attaches through nbdkit's nbd plugin, and {_o.NbdKit} is not installed (Debian package nbdkit); nbdfuse alone cannot read TLS key files");
        var args = new List<string>
        {
            "-r", device, "--command", _o.NbdKit, "-s", "--exit-with-parent", "-r", "nbd",
            $"hostname={request.DataPort.Host}", $"port={request.DataPort.Port}", $"export={request.ExportName}", "tls=require",
        };
        if (tls.IsPsk)
        {
            if (tls.PskFile is null) Throw.Invalid("attach.tls_unsupported", $"{tls} has no key file; nbdkit reads the PSK from a psktool-format file (nbdTls.pskFile)");
            args.Add($"tls-psk={tls.PskFile}");
            args.Add($"tls-username={tls.PskUsername}");
            return args;
        }
        string certs = Path.Combine(request.WorkDirectory, "tls");
        undo.Push($"libnbd certificate directory {certs}", () =>
        {
            if (Directory.Exists(certs)) Directory.Delete(certs, recursive: true);
            return Task.CompletedTask;
        });
        NbdToolUri.WriteCertificateDirectory(tls, certs);
        args.Add($"tls-certificates={certs}");
        return args;
    }

    private static bool OnPath(string program) =>
        Path.IsPathRooted(program) ? File.Exists(program)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, program)));

    private Process StartNbdFuse(IReadOnlyList<string> arguments, LogSink log)
    {
        var psi = new ProcessStartInfo(_o.NbdFuse)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Throw.Internal("attach.nbdfuse_missing", $"cannot start {_o.NbdFuse} (package libnbd-bin): {ex.Message}", ex);
            throw;
        }
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Info($"[nbdfuse] {e.Data}"); };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            log.Warn($"[nbdfuse] {e.Data}");
            lock (_lastError) _lastError[p.Id] = e.Data;
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private async Task WaitForDeviceAsync(Process fuse, string device, long? expectedSize, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _o.AppearTimeout;
        long seen = -1;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (fuse.HasExited)
            {
                fuse.WaitForExit(); // drain stderr so its last line is known
                string said;
                lock (_lastError) said = _lastError.GetValueOrDefault(fuse.Id, "");
                Throw.Remote("attach.nbdfuse_failed", $"nbdfuse exited with code {fuse.ExitCode} before {device} appeared (is the export assigned and the data port reachable?): {said}");
            }
            try
            {
                var fi = new FileInfo(device);
                if (fi.Exists)
                {
                    seen = fi.Length;
                    if (expectedSize is null ? seen > 0 : seen == expectedSize) return;
                }
            }
            catch (IOException) { /* FUSE not ready yet */ }
            if (DateTime.UtcNow > deadline)
                Throw.Remote("attach.timeout", $"{device} did not appear with size {expectedSize?.ToString() ?? "> 0"} within {_o.AppearTimeout.TotalSeconds:0} s (last size seen: {seen})");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private async Task CheckAsync(string fsType, string device, LogSink log, CancellationToken ct)
    {
        // fsck exit codes (fsck(8)): 0 clean, 1 errors corrected, 2 reboot advised, 4 errors left
        // uncorrected, 8 operational error. With -n nothing is corrected, so ≥ 4 means damage.
        var (outcome, output) = await RunAsync($"fsck.{fsType}", ["-n", device], log, ct).ConfigureAwait(false);
        if (outcome.TimedOut || outcome.ExitCode >= 4)
            Throw.Conflict("attach.fsck_failed", $"the read-only check of the backup volume found problems (fsck.{fsType} exit {outcome.ExitCode}):\n{output}");
        if (outcome.ExitCode != 0) log.Warn($"fsck.{fsType} -n exited {outcome.ExitCode}; continuing read-only");
    }

    private async Task StopNbdFuseAsync(Process fuse, string fuseDir, LogSink log)
    {
        try
        {
            if (!fuse.HasExited && MountTable.IsMountPoint(fuseDir))
                await RunToolAsync(_o.FuserMount, ["-u", fuseDir], "attach.fusermount_failed", log, CancellationToken.None).ConfigureAwait(false);
            using var wait = new CancellationTokenSource(_o.ExitTimeout);
            try
            {
                await fuse.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // nbdfuse did not end after its mount went away (or it never mounted): stop it by PID.
                log.Warn($"nbdfuse (pid {fuse.Id}) did not exit within {_o.ExitTimeout.TotalSeconds:0} s; killing it");
                fuse.Kill(entireProcessTree: true);
                fuse.WaitForExit(10_000);
            }
        }
        finally
        {
            if (fuse.HasExited) fuse.Dispose();
        }
    }

    private Task UnmountAsync(string dir, LogSink log) =>
        MountTable.IsMountPoint(dir)
            ? RunToolAsync("umount", [dir], "attach.umount_failed", log, CancellationToken.None)
            : Task.CompletedTask;

    private async Task RunToolAsync(string file, string[] args, string errorCode, LogSink log, CancellationToken ct)
    {
        var (outcome, output) = await RunAsync(file, args, log, ct).ConfigureAwait(false);
        if (!outcome.Succeeded)
            Throw.Internal(errorCode, $"{file} {string.Join(' ', args)} " + (outcome.TimedOut ? "timed out" : $"exited {outcome.ExitCode}") + $": {output.Trim()}");
    }

    private async Task<(ProcessOutcome, string)> RunAsync(string file, string[] args, LogSink log, CancellationToken ct)
    {
        var output = new StringBuilder();
        var spec = new ProcessRun.Spec(file, args) { Timeout = _o.ToolTimeout };
        log.Info($"attach: {spec}");
        try
        {
            var outcome = await ProcessRun.RunAsync(spec, (_, line) => { lock (output) output.AppendLine(line); }, ct).ConfigureAwait(false);
            return (outcome, output.ToString());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Throw.Internal("attach.tool_missing", $"cannot start {file}: {ex.Message}", ex);
            throw;
        }
    }
}
