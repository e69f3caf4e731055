using System.CommandLine;
using Snapcat.Server.Config;
using Snapcat.Nbd;

namespace Snapcat.Cli.Commands.Connection;

/// <summary>
/// Which backup server a client command talks to. In order: <c>--server</c>/<c>--token</c>; the control
/// endpoint of the server's own configuration (<c>--config server.json</c>); <c>SNAPCAT_SERVER_URL</c>/<c>SNAPCAT_SERVER_TOKEN</c>.
/// </summary>
public static class ServerConnection
{
    public static readonly ControlConnection<ServerClient> Connection = new("server", "backup server", 8480, ("--server", "The backup server's API"),
        "the backup server", "the server's server.json", "control.token of server.json", ControlOf, (url, token, trust) => new ServerClient(url, token, trust: trust), profiles: true);

    /// <summary>
    /// The server's own loader reads server.json, so the CLI accepts exactly what the server accepts. It lives in the
    /// Linux-only server assembly; the client commands themselves only speak HTTP and are not tied to Linux.
    /// </summary>
    private static (NbdAddress Listen, string Token, Snapcat.Core.Tls.ControlTls? Tls) ControlOf(string path)
    {
        if (!OperatingSystem.IsLinux())
            throw new UsageException("cli.config_linux_only", "reading server.json needs the Linux build; pass --server and --token instead");
        var c = ServerConfigLoader.Load(path);
        return (c.ControlListen, c.Token, c.ControlTls);
    }

    public static Option<string> Url => Connection.Url;

    public static Option<FileInfo> Config => Connection.Config;

    public static ServerClient Open(ParseResult r) => Connection.Open(r);

    /// <summary>Adds the connection options to a root-level command (definition, backup, catalog, job).</summary>
    public static Command WithConnection(this Command c) => Connection.WithOptions(c);

    public static void SetServerAction(this Command command, Func<ParseResult, ServerClient, CancellationToken, Task> body) =>
        Connection.SetAction(command, body);
}
