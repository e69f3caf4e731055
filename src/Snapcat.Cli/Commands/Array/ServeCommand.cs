using System.CommandLine;
using Snapcat.Array.Hosting;

namespace Snapcat.Cli;

/// <summary><c>snapcat array serve --config FILE</c>: runs the array daemon until Ctrl-C or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var serve = new Command("serve", "Run the disk array described by --config (control API and NBD data ports) until Ctrl-C or SIGTERM");
        serve.Validators.Add(c =>
        {
            if (c.GetValue(ArrayConnection.Config) is null)
                c.AddError("'snapcat array serve' needs --config FILE, the array's configuration (see README.md)");
        });
        serve.SetAction((r, ct) => ArrayDaemon.RunAsync(r.GetValue(ArrayConnection.Config)!.FullName, ct));
        return serve;
    }
}
