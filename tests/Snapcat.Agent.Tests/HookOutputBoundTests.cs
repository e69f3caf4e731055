using System.Text;
using Snapcat.Agent.Config;
using Snapcat.Agent.Hooks;
using Snapcat.Contracts.Agent;

namespace Snapcat.Agent.Tests;

/// <summary>
/// A hook's output in the job log is bounded per run (the job log rides along with every poll and into the server's job
/// history): the first 32 KiB as they come, the last 32 KiB at the end, one note in between saying how much was left out;
/// and every run leaves one "hook run:" line the server can read back.
/// </summary>
public class HookOutputBoundTests
{
    [Fact]
    public async Task A_chatty_hook_keeps_its_first_and_last_32_KiB_in_the_job_log_with_a_note_between()
    {
        // 4,000 numbered lines of ~100 bytes: about 400 KB of output.
        var runner = new HookRunner(new Dictionary<string, HookConfig>
        {
            ["chatty"] = new() { Command = "/bin/sh", Args = ["-c", "i=0; while [ $i -lt 4000 ]; do printf 'line %05d %090d\\n' $i 0; i=$((i+1)); done"] },
        }, allowRawCommands: false);
        var log = new LogList();
        await runner.RunAsync(HookRef.Named("chatty"), new HookInvocation(HookPhase.Pre, "j-1") { MountPoint = "/srv/data" }, log.Sink, default);

        var output = log.Lines.Where(l => l.StartsWith("info: [chatty stdout] ", StringComparison.Ordinal)).ToList();
        long bytes = output.Sum(l => Encoding.UTF8.GetByteCount(l["info: [chatty stdout] ".Length..]) + 1);
        Assert.InRange(bytes, HookJobLines.HeadBytes, HookJobLines.HeadBytes + HookJobLines.TailBytes);
        Assert.StartsWith("info: [chatty stdout] line 00000 ", output[0], StringComparison.Ordinal);
        Assert.StartsWith("info: [chatty stdout] line 03999 ", output[^1], StringComparison.Ordinal);
        var note = Assert.Single(log.Lines, l => l.StartsWith("warn: [chatty note] ", StringComparison.Ordinal));
        Assert.Contains("left out here: the job log keeps the first 32 KiB and the last 32 KiB of each hook run", note);
        int dropped = int.Parse(note["warn: [chatty note] ".Length..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(4000, output.Count + dropped);
        // The note comes between the head and the tail (a gap in the numbers there), the outcome after everything.
        var lines = log.Lines.ToList();
        int noteAt = lines.IndexOf(note);
        int before = Number(lines[noteAt - 1]), after = Number(lines[noteAt + 1]);
        Assert.Equal(dropped, after - before - 1);
        var run = HookJobLines.TryParseRun(lines[^1]["info: ".Length..]);
        Assert.NotNull(run);
        Assert.Equal(("preprocess", "chatty", "/srv/data", "succeeded", (int?)0), (run.Phase, run.Hook, run.MountPoint, run.Outcome, run.ExitCode));
    }

    private static int Number(string line) =>
        int.Parse(line["info: [chatty stdout] line ".Length..][..5], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Hook_lines_read_back_as_they_were_written()
    {
        var run = new HookRun("postprocess", "thaw", "/srv/my data", "failed", 3, 1.26);
        Assert.Equal("hook run: postprocess thaw on /srv/my data: failed, exit 3, 1.3 s", HookJobLines.Run(run));
        Assert.Equal(run with { Seconds = 1.3 }, HookJobLines.TryParseRun(HookJobLines.Run(run)));
        Assert.Equal(new HookRun("preprocess", "raw", null, "timed-out", null, 300), HookJobLines.TryParseRun("hook run: preprocess raw on -: timed-out, exit -, 300.0 s"));
        Assert.Null(HookJobLines.TryParseRun("hook run: something else"));
        Assert.True(HookJobLines.TryParseOutput(HookJobLines.Output("freeze", "stderr", "[x] y"), out var hook, out var stream, out var text));
        Assert.Equal(("freeze", "stderr", "[x] y"), (hook, stream, text));
        Assert.False(HookJobLines.TryParseOutput("[array job j-1] copying", out _, out _, out _));
    }
}
