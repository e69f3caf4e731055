using Snapcat.Contracts.Array;
using Snapcat.Contracts.Server;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Snapcat.Array.Tests.Cli;
using Snapcat.Contracts.Agent;
using Snapcat.Core.Tls;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.ControlTls;

/// <summary>
/// <c>snapcat init array|agent|server</c>: every file it writes is there and 0600, the certificate is the one whose
/// fingerprint it prints, the daemon starts from the written configuration as it is and answers over HTTPS a client
/// that pins that fingerprint; a second init refuses and leaves every file as it was.
/// </summary>
public sealed partial class InitCommandTests
{
    [Theory]
    [InlineData("array", "array.json")]
    [InlineData("agent", "agent.json")]
    [InlineData("server", "server.json")]
    public async Task Init_writes_private_files_and_the_daemon_starts_from_them_over_https(string daemon, string configName)
    {
        using var dir = new TempDir("init-" + daemon);
        string d = dir.Combine("etc");
        var run = await CliRun.RunAsync("init", daemon, "--dir", d, "--listen", "127.0.0.1:0");
        Assert.True(run.ExitCode == 0, run.Stderr);

        var expected = new List<string> { configName, daemon + ".crt", daemon + ".key", daemon + ".token" };
        if (daemon == "server") expected.Add("client.json");
        Assert.Equal(expected.Order(), Directory.GetFiles(d).Select(Path.GetFileName).Order());
        foreach (string f in Directory.GetFiles(d))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f));

        using var cert = X509Certificate2.CreateFromPemFile(Path.Combine(d, daemon + ".crt"), Path.Combine(d, daemon + ".key"));
        string fingerprint = CertificateFingerprint.Show(cert);
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", fingerprint);
        Assert.Contains("SHA-256 fingerprint " + fingerprint, run.Stdout);
        // What the peers put in their configurations (array, agent), or the operator's profile (server).
        string pinned = daemon == "server" ? File.ReadAllText(Path.Combine(d, "client.json")) : run.Stdout;
        Assert.Contains("\"fingerprint\": \"" + fingerprint + "\"", pinned);
        Assert.True(cert.NotAfter > DateTime.Now.AddYears(9), $"valid until {cert.NotAfter}");
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.Contains(System.Net.IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.Contains(System.Net.IPAddress.IPv6Loopback, san.EnumerateIPAddresses());
        string token = File.ReadAllText(Path.Combine(d, daemon + ".token")).Trim();
        Assert.True(token.Length >= 40, token);

        // The daemon runs from the file as written (only its folder for state is created beside it).
        await using var serve = SnapcatBinary.Start(daemon, "serve", "--config", Path.Combine(d, configName));
        string? url = null;
        await Poll.UntilAsync(() => (url = ControlUrl().Match(serve.Output) is { Success: true } m ? m.Groups[1].Value : null) is not null || serve.HasExited,
            TimeSpan.FromSeconds(90), $"the ready line of the {daemon}");
        Assert.True(url is not null, serve.Output);
        Assert.StartsWith("https://127.0.0.1:", url);
        var trust = PeerTrust.Pin(fingerprint);
        switch (daemon)
        {
            case "array":
                using (var c = new ArrayClient(new Uri(url), token, TimeSpan.FromSeconds(30), trust))
                    Assert.Equal("ARRAY-01", (await c.GetArrayAsync()).DeviceId);
                break;
            case "agent":
                using (var c = new AgentClient(new Uri(url), token, TimeSpan.FromSeconds(30), trust))
                    Assert.Equal(System.Net.Dns.GetHostName(), (await c.GetAgentAsync()).Host);
                break;
            default:
                using (var c = new ServerClient(new Uri(url), token, TimeSpan.FromSeconds(30), trust))
                    Assert.Empty((await c.GetServerAsync()).Arrays);
                break;
        }
    }

    [Fact]
    public async Task Init_refuses_to_overwrite_and_changes_nothing_unless_forced()
    {
        using var dir = new TempDir("init-again");
        string d = dir.Path;
        Assert.Equal(0, (await CliRun.RunAsync("init", "array", "--dir", d)).ExitCode);
        var before = Directory.GetFiles(d).ToDictionary(f => f, File.ReadAllBytes);

        var again = await CliRun.RunAsync("init", "array", "--dir", d);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("(init.exists)", again.Stderr);
        Assert.Contains("--force", again.Stderr);
        Assert.Contains(Path.Combine(d, "array.key"), again.Stderr);
        foreach (var (f, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(f));

        // One file left is enough to refuse: nothing of a half-written set is replaced by surprise.
        File.Delete(Path.Combine(d, "array.json"));
        Assert.Equal(1, (await CliRun.RunAsync("init", "array", "--dir", d)).ExitCode);
        Assert.False(File.Exists(Path.Combine(d, "array.json")));

        var forced = await CliRun.RunAsync("init", "array", "--dir", d, "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.NotEqual(before[Path.Combine(d, "array.crt")], File.ReadAllBytes(Path.Combine(d, "array.crt")));
        Assert.NotEqual(before[Path.Combine(d, "array.token")], File.ReadAllBytes(Path.Combine(d, "array.token")));
    }

    [Fact]
    public async Task The_three_daemons_share_one_folder_and_a_state_dir_puts_their_data_there()
    {
        using var dir = new TempDir("init-shared");
        string etc = dir.Combine("etc"), state = dir.Combine("var");
        foreach (string daemon in new[] { "array", "agent", "server" })
        {
            var run = await CliRun.RunAsync("init", daemon, "--dir", etc, "--state-dir", Path.Combine(state, daemon));
            Assert.True(run.ExitCode == 0, run.Stderr);
        }
        Assert.Equal(13, Directory.GetFiles(etc).Length); // 3 x (json, crt, key, token) + client.json
        Assert.Equal(Path.Combine(state, "array"), Snapcat.Array.Config.ArrayConfigLoader.Load(Path.Combine(etc, "array.json")).DataDirectory);
        var server = Snapcat.Server.Config.ServerConfigLoader.Load(Path.Combine(etc, "server.json"));
        Assert.Equal(Path.Combine(state, "server", "catalog.db"), server.CatalogLocation);
        Assert.Equal(Path.Combine(state, "server", "audit.log"), server.AuditFile);
        Assert.Contains($"\"stateDirectory\": \"{Path.Combine(state, "agent")}\"", File.ReadAllText(Path.Combine(etc, "agent.json")));

        var relative = await CliRun.RunAsync("init", "array", "--dir", dir.Combine("other"), "--state-dir", "data");
        Assert.Equal(2, relative.ExitCode);
        Assert.Contains("(init.bad_state_dir)", relative.Stderr);

        var help = await CliRun.RunAsync("init", "server", "--help");
        Assert.Contains("/etc/snapcat", help.Stdout);
        Assert.Contains("/var/lib/snapcat/server", help.Stdout);
    }

    [GeneratedRegex(@"ready: control (\S+?),")]
    private static partial Regex ControlUrl();
}
