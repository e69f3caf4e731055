using System.CommandLine;
using Snapcat.Array.Config;

namespace Snapcat.Cli.Commands.Connection;

/// <summary>
/// Which array a command talks to. In order: <c>--url</c>/<c>--token</c>; the control endpoint of the
/// array's own configuration (<c>--config array.json</c>); <c>SNAPCAT_ARRAY_URL</c>/<c>SNAPCAT_ARRAY_TOKEN</c>.
/// </summary>
public static class ArrayConnection
{
    public static readonly ControlConnection<ArrayClient> Connection = new("array", "array", 8470, ("--url", "Control API of the array"), "the control API",
        "the array's configuration file", "the control.token of the array's configuration",
        path => { var c = ArrayConfigLoader.Load(path); return (c.ControlListen, c.Token, c.ControlTls); }, (url, token, trust) => new ArrayClient(url, token, trust: trust));

    public static string UrlVariable => Connection.UrlVariable;

    public static Option<FileInfo> Config => Connection.Config;

    public static ArrayClient Open(ParseResult r) => Connection.Open(r);
}
