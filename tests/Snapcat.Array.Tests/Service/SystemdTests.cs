using System.Net.Sockets;
using System.Text;
using Snapcat.Array.Config;
using Snapcat.Core.Config;
using Snapcat.TestKit;
using Xunit.Abstractions;

namespace Snapcat.Array.Tests.Service;

/// <summary>
/// The systemd integration: the three units in packaging/systemd pass <c>systemd-analyze verify</c> without a
/// warning and say Type=notify, restart on failure but not on exit 2; a real daemon started with a notify socket
/// (as systemd starts a Type=notify unit) sends READY=1 once it is ready and STOPPING=1 when SIGTERM stops it.
/// </summary>
public sealed class SystemdTests(ITestOutputHelper output)
{
    public static TheoryData<string> Daemons => new() { "array", "agent", "server" };

    [Theory]
    [MemberData(nameof(Daemons))]
    public async Task The_unit_passes_systemd_analyze_verify_and_says_notify_restart_and_no_restart_on_2(string daemon)
    {
        string unit = File.ReadAllText(Path.Combine(Repo.Root, "packaging", "systemd", $"snapcat-{daemon}.service"));
        Assert.Contains("\nType=notify\n", unit);
        Assert.Contains($"\nExecStart=/usr/local/bin/snapcat {daemon} serve --config /etc/snapcat/{daemon}.json\n", unit);
        Assert.Contains("\nRestart=on-failure\n", unit);
        Assert.Contains("\nRestartPreventExitStatus=2\n", unit);
        Assert.Contains($"\nStateDirectory=snapcat snapcat/{daemon}\n", unit);

        if (!Tool.Exists("systemd-analyze"))
        {
            output.WriteLine("systemd-analyze is not installed (Debian package systemd): the unit was not verified");
            return;
        }
        // verify checks that ExecStart's program exists: an executable stands in for /usr/local/bin/snapcat.
        using var dir = new TempDir("unit");
        string program = dir.Combine("snapcat");
        await File.WriteAllTextAsync(program, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string file = dir.Combine($"snapcat-{daemon}.service");
        await File.WriteAllTextAsync(file, unit.Replace("/usr/local/bin/snapcat", program, StringComparison.Ordinal));
        // --man=no: the Documentation= page is installed with the unit, not on this machine.
        var r = await Tool.RunAsync("systemd-analyze", ["verify", "--man=no", file], TimeSpan.FromSeconds(60));
        // A bad value is only a warning (exit 0), so the output must be empty too.
        Assert.True(r.ExitCode == 0 && r.Stdout.Trim().Length == 0 && r.Stderr.Trim().Length == 0,
            $"systemd-analyze verify exited {r.ExitCode}:\n{r.Stdout}\n{r.Stderr}");

        // And it does find a mistake: a value systemd cannot parse is reported.
        await File.WriteAllTextAsync(file, unit.Replace("RestartPreventExitStatus=2", "RestartPreventExitStatus=two", StringComparison.Ordinal)
            .Replace("/usr/local/bin/snapcat", program, StringComparison.Ordinal));
        var bad = await Tool.RunAsync("systemd-analyze", ["verify", "--man=no", file], TimeSpan.FromSeconds(60));
        Assert.Contains("Failed to parse", bad.Stdout + bad.Stderr);
    }

    [Fact]
    public async Task A_daemon_under_a_notify_socket_says_ready_after_its_ready_line_and_stopping_on_sigterm()
    {
        using var dir = new TempDir("notify");
        string config = dir.Combine("array.json");
        ConfigFile.Write(config, new ArrayConfig
        {
            DeviceId = "ARRAY-N1",
            DataDirectory = "data",
            Control = new ControlEndpointConfig { Listen = "127.0.0.1:0", Token = "t", Insecure = true },
            DataPorts = [new DataPortConfig { Listen = "127.0.0.1:0" }],
        });
        // What systemd does for Type=notify: a datagram socket, named in NOTIFY_SOCKET.
        string socketPath = dir.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (!stop.IsCancellationRequested)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                lock (messages) messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        });
        string Received() { lock (messages) return string.Join("\n", messages); }

        await using var array = ChildProcess.Start("dotnet", [SnapcatBinary.DllPath, "array", "serve", "--config", config],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });
        await Poll.UntilAsync(() => Received().Contains("READY=1", StringComparison.Ordinal) || array.HasExited, TimeSpan.FromSeconds(60), "READY=1 on the notify socket");
        Assert.False(array.HasExited, array.Output);
        // The ready line is printed before READY=1 is sent (its pipe may lag behind the socket).
        await Poll.UntilAsync(() => array.Output.Contains("ready: control", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the ready line");
        Assert.Contains("STATUS=", Received());

        (await Tool.RunAsync("kill", ["-TERM", array.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])).EnsureSuccess("kill -TERM");
        Assert.Equal(0, await array.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await Poll.UntilAsync(() => Received().Contains("STOPPING=1", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "STOPPING=1 on the notify socket");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiving);
    }
}

/// <summary>The repository, found from the test assembly upwards.</summary>
internal static class Repo
{
    public static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Directory.Packages.props"))) return d.FullName;
            throw new InvalidOperationException("the repository root is not above " + AppContext.BaseDirectory);
        }
    }
}
