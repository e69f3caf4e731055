using System.Text.RegularExpressions;
using Snapcat.Array.Tests.Cli;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.ControlTls;

/// <summary>
/// The operator's client profile: <c>snapcat init server</c> writes client.json beside server.json; installed at
/// $XDG_CONFIG_HOME/snapcat/client.json (or given with --profile) it names the server, its token and its fingerprint,
/// so client commands need no options and no access to server.json; explicit options still win over it.
/// </summary>
public sealed partial class ClientProfileTests
{
    [Fact]
    public async Task The_profile_init_writes_reaches_the_server_and_explicit_options_override_it()
    {
        using var dir = new TempDir("profile");
        string etc = dir.Combine("etc");
        int port = FreePort.Next();
        var init = await CliRun.RunAsync("init", "server", "--dir", etc, "--listen", $"127.0.0.1:{port}");
        Assert.True(init.ExitCode == 0, init.Stderr);
        Assert.Contains("~/.config/snapcat/client.json", init.Stdout);
        await using var serve = SnapcatBinary.Start("server", "serve", "--config", Path.Combine(etc, "server.json"));
        await Poll.UntilAsync(() => serve.Output.Contains("snapcat server ready:", StringComparison.Ordinal) || serve.HasExited,
            TimeSpan.FromSeconds(90), "the server's ready line");
        Assert.False(serve.HasExited, serve.Output);

        // --profile: the file as init wrote it.
        var withProfile = await CliRun.RunAsync("server", "info", "-o", "json", "--profile", Path.Combine(etc, "client.json"));
        Assert.True(withProfile.ExitCode == 0, withProfile.Stderr);
        Assert.Contains("\"catalog\"", withProfile.Stdout);

        // The default place, $XDG_CONFIG_HOME/snapcat/client.json, in a process of its own (the variable is per process).
        string xdg = dir.Combine("xdg");
        Directory.CreateDirectory(Path.Combine(xdg, "snapcat"));
        File.Copy(Path.Combine(etc, "client.json"), Path.Combine(xdg, "snapcat", "client.json"));
        await using (var cli = ChildProcess.Start("dotnet", [SnapcatBinary.DllPath, "backup", "list", "-o", "json"],
            new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = xdg, ["HOME"] = dir.Combine("no-home") }))
        {
            Assert.True(await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, cli.Output);
            Assert.Contains("[]", cli.Output);
        }

        // An explicit --fingerprint wins over the profile's, and a wrong one is refused naming both.
        const string wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
        var overridden = await CliRun.RunAsync("server", "info", "--profile", Path.Combine(etc, "client.json"), "--fingerprint", wrong);
        Assert.Equal(1, overridden.ExitCode);
        Assert.Contains("(server.tls_fingerprint_mismatch)", overridden.Stderr);
        Assert.Contains($"expected {wrong}, the peer presented {Fingerprint().Match(init.Stdout).Groups[1].Value}", overridden.Stderr);

        // A profile that is not there is named.
        var missing = await CliRun.RunAsync("server", "info", "--profile", dir.Combine("nope.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("(cli.no_profile)", missing.Stderr);
    }

    [GeneratedRegex("SHA-256 fingerprint ([0-9A-F:]{95})")]
    private static partial Regex Fingerprint();
}
