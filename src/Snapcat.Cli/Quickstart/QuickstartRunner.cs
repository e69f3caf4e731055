using System.Diagnostics;
using Spectre.Console;

namespace Snapcat.Cli.Quickstart;

/// <summary>
/// Runs quickstart steps in order and reports each (spinner on a terminal, plain lines otherwise).
/// Whatever happens (a failed step, Ctrl-C) the daemon children are stopped by PID and the temporary
/// directory removed unless kept.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QuickstartRunner(CliConsole console, bool keep)
{
    public async Task<int> RunAsync(IReadOnlyList<QuickstartStep> steps, CancellationToken ct)
    {
        string dir = Directory.CreateTempSubdirectory("snapcat-quickstart-").FullName;
        var context = new QuickstartContext(console, dir, keep);
        var ui = console.Ui;
        ui.MarkupLineInterpolated($"[bold]snapcat quickstart[/] in {dir}");
        var total = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < steps.Count; i++)
            {
                // A step that finished, or one that had no await left to see the token, must not carry an
                // interrupted run on into the next step (and to exit code 0): the signal is checked between steps.
                ct.ThrowIfCancellationRequested();
                var step = steps[i];
                string title = $"[{i + 1}/{steps.Count}] {step.Name}";
                var sw = Stopwatch.StartNew();
                try
                {
                    if (console.Interactive)
                        await ui.Status().StartAsync(Markup.Escape(title) + "…", _ => step.Run(context, ct)).ConfigureAwait(false);
                    else
                        await step.Run(context, ct).ConfigureAwait(false);
                    ui.MarkupLineInterpolated($"[green]✓[/] {title} [grey]({sw.Elapsed.TotalSeconds:0.0} s)[/]");
                }
                catch (QuickstartSkipped skipped)
                {
                    ui.MarkupLineInterpolated($"[yellow]-[/] {title}: skipped, {skipped.Message}");
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ui.MarkupLineInterpolated($"[red]✗[/] {title}");
                    foreach (var d in context.TakeDetails()) ui.Write(d);
                    if (ex is SnapcatException)
                        foreach (var child in context.Children())
                        {
                            string tail = child.LogTail(12);
                            if (tail.Length > 0) ui.Write(new Panel(new Text(tail)).Header($"{child.Name}.log (last lines)"));
                        }
                    throw;
                }
                foreach (var d in context.TakeDetails()) ui.Write(d);
            }
            ct.ThrowIfCancellationRequested();
            ui.MarkupLineInterpolated($"[green bold]quickstart finished[/] in {total.Elapsed.TotalSeconds:0.0} s");
            return 0;
        }
        finally
        {
            context.ServerApi?.Dispose();
            context.ArrayApi?.Dispose();
            // Stopped together (each SIGTERM, then SIGKILL after its grace), so an interrupted run ends quickly.
            var children = context.Children().ToList();
            var running = children.Where(c => !c.HasExited).Select(c => $"{c.Name} (pid {c.Pid})").ToList();
            await Task.WhenAll(children.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
            if (running.Count > 0) ui.MarkupLineInterpolated($"stopped {string.Join(", ", running)}");
            if (keep)
                ui.MarkupLineInterpolated($"kept {dir} (array.json, agent.json, server.json, their logs, catalog.db, volume files)");
            else
            {
                try { Directory.Delete(dir, recursive: true); }
                catch (IOException ex) { ui.MarkupLineInterpolated($"[yellow]could not remove {dir}:[/] {ex.Message}"); }
            }
        }
    }
}
