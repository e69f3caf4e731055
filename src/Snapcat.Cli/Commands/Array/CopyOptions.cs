using System.CommandLine;
using System.CommandLine.Parsing;
using Snapcat.Nbd;

namespace Snapcat.Cli.Commands.Array;

/// <summary>Options shared by the copy-function commands: a volume named by port/LUN, and waiting for jobs.</summary>
public static class CopyOptions
{
    public static Option<string> Port(string description = "Data port (NBD listener) of the array, host:port")
    {
        var port = new Option<string>("--port") { Description = description };
        port.Validators.Add(o =>
        {
            if (!NbdAddress.TryParse(o.GetValueOrDefault<string>(), out _))
                o.AddError($"--port: '{o.GetValueOrDefault<string>()}' is not host:port, e.g. 127.0.0.1:10809");
        });
        return port;
    }

    public static Option<uint> Lun() => new("--lun") { Description = "LUN on that port" };

    public static Option<bool> Wait() => new("--wait") { Description = "Wait for the job to finish, with a progress bar on a terminal; exit 1 if it fails" };

    public static Option<uint> Timeout() => new("--timeout")
    {
        Description = "With --wait: give up waiting after this many seconds (the job goes on); 0 waits without limit",
    };

    public static bool Given(this CommandResult r, Option option) => r.GetResult(option) is { Implicit: false };

    public static bool Given(this CommandResult r, Argument argument) => r.GetResult(argument) is { Implicit: false } a && a.Tokens.Count > 0;

    /// <summary>
    /// Exactly one way of naming the volume: <paramref name="byNumber"/> (an argument or option) or
    /// <c>--port</c> and <c>--lun</c> together.
    /// </summary>
    public static void RequireNumberOrPortLun(Command command, Symbol byNumber, Option<string> port, Option<uint> lun, string what)
    {
        string numberName = byNumber is Option o ? o.Name : $"<{byNumber.Name}>";
        command.Validators.Add(r =>
        {
            bool number = byNumber switch { Option opt => r.Given(opt), Argument arg => r.Given(arg), _ => false };
            bool hasPort = r.Given(port), hasLun = r.Given(lun);
            if (number && (hasPort || hasLun))
                r.AddError($"name {what} either by {numberName} or by --port and --lun, not both");
            else if (!number && !hasPort && !hasLun)
                r.AddError($"name {what}: {numberName}, or --port and --lun");
            else if (!number && hasPort != hasLun)
                r.AddError(hasPort ? "--port needs --lun" : "--lun needs --port");
        });
    }

    /// <summary><c>--timeout</c> only means something while waiting.</summary>
    public static void TimeoutNeedsWait(Command command, Option<bool> wait, Option<uint> timeout) =>
        command.Validators.Add(r =>
        {
            if (r.Given(timeout) && !r.GetValue(wait))
                r.AddError("--timeout applies only with --wait");
        });

    public static TimeSpan? TimeoutOf(this ParseResult r, Option<uint> timeout) =>
        r.GetValue(timeout) is var s and > 0 ? TimeSpan.FromSeconds(s) : null;
}
