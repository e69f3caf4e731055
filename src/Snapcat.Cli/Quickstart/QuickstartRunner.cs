using System.Diagnostics;
using Snapcat.Core.Errors;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary>
/// Runs quickstart steps in order and reports each (spinner on a terminal, plain lines otherwise).
/// Whatever happens (a failed step, Ctrl-C) the array child is stopped by PID and the temporary
/// directory removed unless kept.
/// </summary>
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
                var step = steps[i];
                string title = $"[{i + 1}/{steps.Count}] {step.Name}";
                var sw = Stopwatch.StartNew();
                try
                {
                    if (console.Interactive)
                        await ui.Status().StartAsync(Markup.Escape(title) + "…", _ => step.Run(context, ct));
                    else
                        await step.Run(context, ct);
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
                    if (context.Array is { } array && ex is SnapcatException)
                    {
                        string tail = array.LogTail();
                        if (tail.Length > 0) ui.Write(new Panel(new Text(tail)).Header("array log (last lines)"));
                    }
                    throw;
                }
                foreach (var d in context.TakeDetails()) ui.Write(d);
            }
            ui.MarkupLineInterpolated($"[green bold]quickstart finished[/] in {total.Elapsed.TotalSeconds:0.0} s");
            return 0;
        }
        finally
        {
            context.Client?.Dispose();
            if (context.Array is { } array)
            {
                int pid = array.Pid;
                bool wasRunning = !array.HasExited;
                await array.DisposeAsync();
                if (wasRunning) ui.MarkupLineInterpolated($"stopped the array (pid {pid})");
            }
            if (keep)
                ui.MarkupLineInterpolated($"kept {dir} (configuration array.json, log array.log, volume files)");
            else
            {
                try { Directory.Delete(dir, recursive: true); }
                catch (IOException ex) { ui.MarkupLineInterpolated($"[yellow]could not remove {dir}:[/] {ex.Message}"); }
            }
        }
    }
}
