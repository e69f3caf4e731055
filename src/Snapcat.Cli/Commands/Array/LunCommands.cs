using System.CommandLine;
using Snapcat.Nbd;

namespace Snapcat.Cli.Commands.Array;

/// <summary><c>snapcat array assign|release|lun</c>: connect volumes to data ports (the description's port/LUN).</summary>
public static class LunCommands
{
    public static IEnumerable<Command> Build(CliConsole console)
    {
        var port = CopyOptions.Port();
        port.Required = true;
        var lun = new Option<uint>("--lun") { Description = "LUN on that port; NBD clients use it as the export name", Required = true };

        var number = ArrayCommand.VolumeNumber();
        var readOnly = new Option<bool>("--read-only") { Description = "Clients may read but not write" };
        var allow = new Option<string[]>("--allow")
        {
            Description = "LUN masking: only NBD clients with this TLS identity (PSK username or certificate subject) may open the LUN; repeatable. Needs a data port with TLS on",
            AllowMultipleArgumentsPerToken = false,
        };
        var assign = new Command("assign", "Make a volume reachable on a data port as a LUN") { number, port, lun, readOnly, allow };
        assign.SetClientAction(async (r, client, ct) =>
        {
            uint n = r.GetValue(number);
            // Without --read-only the array chooses: read-write for a volume, read-only for a snapshot.
            string[]? allowed = r.GetValue(allow) is { Length: > 0 } ids ? ids : null;
            var a = await client.AssignAsync(n, r.GetValue(port)!, r.GetValue(lun), r.GetValue(readOnly) ? true : null, allowed, ct).ConfigureAwait(false);
            console.Say(r, a, $"assigned volume [bold]{n}[/] to {Tables.Assignment(a)}: {NbdAddress.Parse(a.Port).Uri(a.Lun.ToString())}");
        });
        yield return assign;

        var release = new Command("release", "Disconnect the volume behind a data port's LUN (the volume is kept)") { port, lun };
        release.SetClientAction(async (r, client, ct) =>
        {
            string p = r.GetValue(port)!;
            uint l = r.GetValue(lun);
            await client.ReleaseAsync(p, l, ct).ConfigureAwait(false);
            console.Say(r, new { released = new { port = p, lun = l } }, $"released {p} LUN {l}");
        });
        yield return release;

        var show = new Command("lun", "Show which volume a data port's LUN reaches") { port, lun };
        show.SetClientAction(async (r, client, ct) =>
        {
            var l = await client.GetLunAsync(r.GetValue(port)!, r.GetValue(lun), ct).ConfigureAwait(false);
            console.Say(r, l, $"{l.Port} LUN {l.Lun} -> device {l.DeviceId} volume [bold]{l.Volume}[/]{(l.ReadOnly ? " (read-only)" : "")}");
        });
        yield return show;
    }
}
