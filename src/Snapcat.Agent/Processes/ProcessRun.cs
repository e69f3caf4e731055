using System.Diagnostics;

namespace Snapcat.Agent.Processes;

/// <summary>How a program run ended: its exit code, or that it was killed for running too long.</summary>
public sealed record ProcessOutcome(int ExitCode, bool TimedOut, TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;
}

/// <summary>
/// Runs a program as a real child process (no shell), streams its stdout and stderr line by line to a
/// callback, and kills the whole process tree when the timeout passes or the caller cancels. A hook
/// that forks a daemon and exits would otherwise leave it running; a hook that hangs must not hang
/// the job that waits for it.
/// </summary>
public static class ProcessRun
{
    public sealed record Spec(string FileName, IReadOnlyList<string> Arguments)
    {
        public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
        public string? WorkingDirectory { get; init; }
        public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

        /// <summary>
        /// Start the program as the leader of its own session and process group (setsid) with
        /// PR_SET_PDEATHSIG = SIGKILL (setpriv), both from util-linux since .NET's Process cannot set
        /// either. The PID reported to onStarted is then also the group ID, so the whole group can be
        /// killed — by the timeout here, or by the next agent start when this agent died (issue 9.2).
        /// </summary>
        public bool OwnProcessGroup { get; init; }

        public override string ToString() => Arguments.Count == 0 ? FileName : FileName + " " + string.Join(' ', Arguments.Select(Quote));

        private static string Quote(string a) => a.Length > 0 && !a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? a : "'" + a.Replace("'", "'\\''") + "'";
    }

    /// <summary>
    /// Starts the program, returns its outcome. <paramref name="onLine"/> gets ("stdout"|"stderr", line).
    /// Cancellation kills the tree and then throws <see cref="OperationCanceledException"/>.
    /// A program that cannot be started at all (missing file, no permission) throws
    /// <see cref="System.ComponentModel.Win32Exception"/>; callers turn it into their own error.
    /// </summary>
    public static async Task<ProcessOutcome> RunAsync(Spec spec, Action<string, string> onLine, CancellationToken ct, Action<int>? onStarted = null)
    {
        var psi = new ProcessStartInfo(spec.OwnProcessGroup ? ProcessLauncher.Setsid : spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? "",
        };
        // A program in its own group starts behind a gate: a shell that waits for one line on stdin and then
        // execs the program (same PID, so the same group; PDEATHSIG survives exec). The line is written only
        // after onStarted returned, i.e. once the caller has durably recorded the group (the pending-thaw
        // journal, issue 9.2): a hook never runs unrecorded, and if the agent dies first the gate reads EOF
        // (or PDEATHSIG kills it) and the program never starts.
        if (spec.OwnProcessGroup)
            foreach (var a in new[] { ProcessLauncher.Setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", GateScript, "snapcat-hook-gate", spec.FileName })
                psi.ArgumentList.Add(a);
        foreach (var a in spec.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in spec.Environment) psi.Environment[k] = v;

        var started = Stopwatch.StartNew();
        using var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdoutDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.Exited += (_, _) => exited.TrySetResult();
        p.OutputDataReceived += (_, e) => { if (e.Data is null) stdoutDone.TrySetResult(); else onLine("stdout", e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is null) stderrDone.TrySetResult(); else onLine("stderr", e.Data); };
        if (spec.OwnProcessGroup) await ProcessLauncher.StartAsync(p).ConfigureAwait(false);
        else p.Start();
        // A hook that reads stdin must see end-of-file, not wait for a terminal that is not there.
        if (!spec.OwnProcessGroup) p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            onStarted?.Invoke(p.Id);
        }
        catch
        {
            // The caller could not record the process (the pending-thaw journal): it must not run unrecorded.
            KillTree(p, spec.OwnProcessGroup);
            throw;
        }
        if (spec.OwnProcessGroup) OpenGate(p);

        using var timeout = new CancellationTokenSource(spec.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            // Wait for the process itself, not for its pipes: Process.WaitForExitAsync also waits for
            // end-of-file on stdout/stderr, which never comes while a daemon the hook started in the
            // background (and that left its parent's tree) still holds them.
            await exited.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(p, spec.OwnProcessGroup);
            if (ct.IsCancellationRequested) throw new OperationCanceledException("the program was stopped because the job was cancelled", ct);
            return new ProcessOutcome(-1, TimedOut: true, started.Elapsed);
        }
        // Give the reader threads a bounded moment to deliver the last lines to the log.
        try { await Task.WhenAll(stdoutDone.Task, stderrDone.Task).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (TimeoutException) { onLine("stderr", "(output after exit dropped: a background process still holds the program's stdout/stderr)"); }
        return new ProcessOutcome(p.ExitCode, TimedOut: false, started.Elapsed);
    }

    // dash's read builtin takes stdin one byte at a time, so nothing past the newline is consumed and the
    // program sees end-of-file on stdin once the gate's pipe is closed.
    private const string GateScript = "IFS= read -r _ || exit 125; exec \"$@\"";

    private static void OpenGate(Process p)
    {
        try
        {
            p.StandardInput.WriteLine("go");
            p.StandardInput.Close();
        }
        catch (IOException) { /* the gate already died (killed): the exit code says so */ }
    }

    private static void KillTree(Process p, bool ownGroup)
    {
        // The group first: it also reaches descendants that were re-parented away from the tree.
        if (ownGroup)
            try { ProcessSignals.KillGroup(p.Id); }
            catch (ArgumentOutOfRangeException) { }
        try
        {
            // entireProcessTree walks /proc for descendants, so grandchildren such as a backgrounded
            // `sleep` are killed too (they would keep the stdout pipe open and the job waiting).
            p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { /* exited in the meantime */ }
        // Bounded: SIGKILL cannot be ignored, but a process in uninterruptible sleep can delay its reaping.
        p.WaitForExit(10_000);
    }
}
