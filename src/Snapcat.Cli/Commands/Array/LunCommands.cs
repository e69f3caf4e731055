using System.CommandLine;
using Snapcat.Nbd;
using Spectre.Console;

namespace Snapcat.Cli;

/// <summary><c>snapcat array assign|release|lun</c>: connect volumes to data ports (the description's port/LUN).</summary>
public static class LunCommands
{
    public static IEnumerable<Command> Build(CliConsole console)
    {
        var port = new Option<string>("--port") { Description = "Data port (NBD listener) of the array, host:port", Required = true };
        port.Validators.Add(o =>
        {
            if (!NbdAddress.TryParse(o.GetValueOrDefault<string>(), out _))
                o.AddError($"--port: '{o.GetValueOrDefault<string>()}' is not host:port, e.g. 127.0.0.1:10809");
        });
        var lun = new Option<uint>("--lun") { Description = "LUN on that port; NBD clients use it as the export name", Required = true };

        var number = ArrayCommand.VolumeNumber();
        var readOnly = new Option<bool>("--read-only") { Description = "Clients may read but not write" };
        var assign = new Command("assign", "Make a volume reachable on a data port as a LUN");
        assign.Arguments.Add(number);
        assign.Options.Add(port);
        assign.Options.Add(lun);
        assign.Options.Add(readOnly);
        assign.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(number);
            // Without --read-only the array chooses: read-write for a volume, read-only for a snapshot.
            var a = await client.AssignAsync(n, r.GetValue(port)!, r.GetValue(lun), r.GetValue(readOnly) ? true : null, ct);
            if (r.Json()) console.WriteJson(a);
            else console.Ui.MarkupLineInterpolated($"assigned volume [bold]{n}[/] to {Tables.Assignment(a)}: {NbdAddress.Parse(a.Port).Uri(a.Lun.ToString())}");
        });
        yield return assign;

        var release = new Command("release", "Disconnect the volume behind a data port's LUN (the volume is kept)");
        release.Options.Add(port);
        release.Options.Add(lun);
        release.SetClientAction(async (r, client, ct) =>
        {
            await client.ReleaseAsync(r.GetValue(port)!, r.GetValue(lun), ct);
            if (r.Json()) console.WriteJson(new { released = new { port = r.GetValue(port), lun = r.GetValue(lun) } });
            else console.Ui.MarkupLineInterpolated($"released {r.GetValue(port)} LUN {r.GetValue(lun)}");
        });
        yield return release;

        var show = new Command("lun", "Show which volume a data port's LUN reaches");
        show.Options.Add(port);
        show.Options.Add(lun);
        show.SetClientAction(async (r, client, ct) =>
        {
            var l = await client.GetLunAsync(r.GetValue(port)!, r.GetValue(lun), ct);
            if (r.Json()) console.WriteJson(l);
            else console.Ui.MarkupLineInterpolated($"{l.Port} LUN {l.Lun} -> device {l.DeviceId} volume [bold]{l.Volume}[/]{(l.ReadOnly ? " (read-only)" : "")}");
        });
        yield return show;
    }
}
