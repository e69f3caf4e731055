using Xunit;
using System.Runtime.Versioning;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Snapcat.Core.Jobs;
using System.Text.RegularExpressions;
using System.Security.Cryptography.X509Certificates;
using Snapcat.ControlApi.Client;
using Snapcat.Core.Config;
using Snapcat.Core.Tls;

namespace Snapcat.TestKit.TestSystem;

/// <summary>
/// One daemon of a <see cref="SnapcatSystem"/>: its own folder (configuration file and data), a real
/// <c>snapcat … serve</c> child process, and the control URL it reported. The first start binds port 0
/// for everything; from then on the configuration names the ports the daemon reported, so a restart
/// (after <see cref="KillHard"/> too) comes back on the same ports with the same data.
/// The control API serves HTTPS with a key and self-signed certificate made at the first start into the node's
/// folder (<see cref="ControlCertificate"/>, as <c>snapcat init</c> makes them); every client of the node, and every
/// peer's configuration, pins its fingerprint. <see cref="Insecure"/> opts out (plain HTTP).
/// </summary>
[SupportedOSPlatform("linux")]  // a system may hold agents, which run on Linux only (FUSE, process groups)
public abstract partial class DaemonNode : IAsyncDisposable
{
    private HttpClient? _http;
    private X509Certificate2? _certificate;

    private protected DaemonNode(SnapcatSystem system, string name, string kind, string token)
    {
        Parent = system;
        Name = name;
        Kind = kind;
        Token = token;
        Dir = system.Dir.Combine(kind + "-" + name);
        Directory.CreateDirectory(Dir);
    }

    /// <summary>The system this daemon belongs to.</summary>
    public SnapcatSystem Parent { get; }
    /// <summary>Device ID of an array, host name of an agent, "server" for the server.</summary>
    public string Name { get; }
    public string Kind { get; }
    /// <summary>The bearer token of this daemon's control API; set it before the first start to change it.</summary>
    public string Token { get; set; }
    /// <summary>This daemon's folder: the configuration file, and data beside it (relative paths resolve here).</summary>
    public string Dir { get; }
    public string ConfigPath => Path.Combine(Dir, Kind + ".json");
    public ChildProcess? Process { get; private set; }
    public bool IsRunning => Process is { HasExited: false };
    public string Output => Process?.Output ?? "";

    /// <summary>Plain HTTP on the control API (<c>"insecure": true</c>) instead of HTTPS; set it before the first start.</summary>
    public bool Insecure { get; set; }

    /// <summary>The control API's certificate (made at first use, written to control.crt/control.key); null when <see cref="Insecure"/>.</summary>
    public X509Certificate2? Certificate
    {
        get
        {
            if (Insecure) return null;
            return _certificate ??= ControlCertificate.CreateFiles(Path.Combine(Dir, "control.crt"), Path.Combine(Dir, "control.key"), "localhost");
        }
    }

    /// <summary>
    /// Serves <paramref name="certificate"/> (with its private key) instead of a fresh self-signed one: an expired one, one a
    /// test CA issued. Set before the first start; clients pin whatever is served.
    /// </summary>
    public void UseCertificate(X509Certificate2 certificate)
    {
        if (HasStarted) throw new InvalidOperationException($"{Kind} {Name} has started; choose its certificate before the first start");
        if (Insecure) throw new InvalidOperationException($"{Kind} {Name} is insecure (plain HTTP); it serves no certificate");
        ControlCertificate.Write(certificate, Path.Combine(Dir, "control.crt"), Path.Combine(Dir, "control.key"));
        _certificate = certificate;
    }

    /// <summary>The SHA-256 fingerprint its clients pin (<c>AB:CD:…</c>); null when <see cref="Insecure"/>.</summary>
    public string? Fingerprint => Certificate is { } c ? CertificateFingerprint.Show(c) : null;

    /// <summary>How a client checks this daemon: its pinned certificate, or nothing over plain HTTP.</summary>
    public PeerTrust? Trust => Certificate is { } c ? PeerTrust.Pin(c) : null;

    /// <summary>The <c>control.tls</c> section its configuration names (relative to <see cref="Dir"/>); null when <see cref="Insecure"/>.</summary>
    protected ControlTlsConfig? ControlTls => Certificate is null ? null : new ControlTlsConfig { CertificateFile = "control.crt", KeyFile = "control.key" };

    /// <summary>A handler that pins this daemon's certificate, for a test that builds its own HttpClient against it.</summary>
    public SocketsHttpHandler CreateHandler() => PeerCertificateCheck.CreateHandler(Trust, Kind, Kind);

    /// <summary>Environment variables for the daemon process (fault injection switches and the like).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The control API's URL as the daemon reported it; known once it has started.</summary>
    public Uri ControlUrl => _controlUrl ?? throw NotStarted();
    private Uri? _controlUrl;

    /// <summary>host:port the control API listens on: <see cref="ListenHost"/>:0 before the first start, the real port after.</summary>
    public string ControlListen => _controlUrl is null ? $"{ListenHost}:0" : $"{_controlUrl.Host}:{_controlUrl.Port}";

    /// <summary>
    /// The host this daemon runs on, for the multi-host test: set before the first start, the daemon runs inside
    /// this network namespace (<c>ip netns exec</c>), binds and advertises its address there, and the TestKit's
    /// clients of it connect from inside it. Null (the default): the root namespace on 127.0.0.1.
    /// </summary>
    public NetworkNamespace? Namespace { get; set; }

    /// <summary>The address every listener of this daemon binds: its namespace's, or 127.0.0.1.</summary>
    public string ListenHost => Namespace?.Address.ToString() ?? "127.0.0.1";

    public bool HasStarted => _controlUrl is not null;

    /// <summary>An HttpClient on the control API with the bearer token, for tests that send raw requests.</summary>
    public HttpClient Http => _http ??= NewHttp();

    /// <summary>The ready line's beginning, e.g. "snapcat array ARRAY-01 ready:".</summary>
    protected abstract string ReadyPrefix { get; }

    /// <summary>Writes the configuration file from the typed record, with every port known so far.</summary>
    protected abstract void WriteConfig();

    /// <summary>Reads what the ready line says beyond the control URL (an array's data ports).</summary>
    protected virtual void OnReady(string readyLine) { }

    /// <summary>
    /// Writes the configuration and starts the daemon (again), waiting for its ready line. A running one is
    /// killed first. <paramref name="launcher"/> runs the daemon under another program (e.g. strace -f -o x).
    /// </summary>
    public async Task StartAsync(IReadOnlyList<string>? launcher = null)
    {
        if (Process is not null) await Process.DisposeAsync();
        Process = null;
        WriteConfig();
        string[] args = [SnapcatBinary.DllPath, Kind, "serve", "--config", ConfigPath];
        if (Namespace is not null) launcher = [.. Namespace.Launcher, .. launcher ?? []];
        var p = launcher is null
            ? ChildProcess.Start("dotnet", args, Environment)
            : ChildProcess.Start(launcher[0], [.. launcher.Skip(1), "dotnet", .. args], Environment);
        Process = p;
        string? line = null;
        await Poll.UntilAsync(() => (line = ReadyLine(p.Output)) is not null || p.HasExited,
            TimeSpan.FromSeconds(90), $"the ready line of {Kind} {Name}");
        if (line is null) throw new InvalidOperationException($"{Kind} {Name} exited during start:\n{p.Output}");
        var m = ControlInReadyLine().Match(line);
        if (!m.Success) throw new InvalidOperationException($"{Kind} {Name}: no control URL in its ready line: {line}");
        var url = new Uri(m.Groups[1].Value);
        if (_controlUrl is not null && _controlUrl != url)
            throw new InvalidOperationException($"{Kind} {Name} came back on {url}, not {_controlUrl}");
        _controlUrl = url;
        OnReady(line);
        // From now on the file names the real ports, so that a manual 'snapcat … serve --config' works too.
        WriteConfig();
        await OnStartedAsync();
    }

    /// <summary>After the ready line (an array creates its declared volumes here).</summary>
    protected virtual Task OnStartedAsync() => Task.CompletedTask;

    /// <summary>Same configuration (rewritten with the current settings), same data, same ports.</summary>
    public Task RestartAsync(IReadOnlyList<string>? launcher = null) => StartAsync(launcher);

    /// <summary>SIGKILL of the daemon and its process tree (hooks included): no shutdown code runs.</summary>
    public void KillHard() => Process?.KillHard();

    /// <summary>SIGKILL of the daemon process alone: the children it started (hooks) live on.</summary>
    public void KillProcessOnly()
    {
        if (Process is null || Process.HasExited) return;
        using var p = global::System.Diagnostics.Process.GetProcessById(Process.Pid);
        p.Kill(entireProcessTree: false);
        p.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, then waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (Process is null) throw NotStarted();
        if (!Process.HasExited) await Tool.RunAsync("kill", ["-TERM", Process.Pid.ToString(global::System.Globalization.CultureInfo.InvariantCulture)]);
        return await Process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>GET that must answer 200; the body as <typeparamref name="T"/>.</summary>
    public async Task<T> GetAsync<T>(string path) => await HttpAssert.ReadAsync<T>(await Http.GetAsync(path));

    /// <summary>A raw POST (JSON body, or none), for tests that look at the status code.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) =>
        body is null ? Http.PostAsync(path, null) : Http.PostAsync(path, JsonContent.Create(body, body.GetType(), options: HttpAssert.Json));

    /// <summary>Polls GET /v1/jobs/{id} until the job is final (default 120 s); returns its last snapshot.</summary>
    public async Task<JobSnapshot> WaitJobAsync(string id, TimeSpan? timeout = null)
    {
        JobSnapshot? last = null;
        await Poll.UntilAsync(async () => (last = await GetAsync<JobSnapshot>($"/v1/jobs/{id}")).State.IsFinal(),
            timeout ?? TimeSpan.FromSeconds(120), $"{Kind} {Name} job {id} to finish");
        return last!;
    }

    /// <summary><see cref="WaitJobAsync"/>, and fails the test unless the job succeeded.</summary>
    public async Task<JobSnapshot> WaitJobSucceededAsync(string id, TimeSpan? timeout = null)
    {
        var last = await WaitJobAsync(id, timeout);
        Assert.True(last.State == JobState.Succeeded, $"job {id} ended {last.State}: {last.ErrorCode} {last.ErrorMessage}");
        return last;
    }

    private string? ReadyLine(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(ReadyPrefix, StringComparison.Ordinal));

    private protected InvalidOperationException NotStarted() =>
        new($"{Kind} {Name} has not been started yet; start it (or the system) first");

    /// <summary>
    /// Runs <c>snapcat ARGS</c> to completion on this daemon's host: inside its namespace when it has one, as an
    /// administrator logged in there would (a server command also wants <see cref="ServerNode.ConfigArgs"/>).
    /// </summary>
    public Task<Tool.Result> RunCliAsync(IEnumerable<string> args, TimeSpan? timeout = null) =>
        Namespace is null
            ? SnapcatBinary.RunAsync(args, timeout)
            : Namespace.RunAsync("dotnet", [SnapcatBinary.DllPath, .. args], timeout);

    /// <summary>
    /// The HTTP handler of every TestKit client of this daemon: its connections are made inside the daemon's
    /// namespace when it has one. (The one place where the clients' transport is chosen.)
    /// </summary>
    public HttpMessageHandler CreateHttpHandler()
    {
        var h = CreateHandler();
        if (Namespace is not null) h.ConnectCallback = Namespace.CreateHttpHandler().ConnectCallback;
        return h;
    }

    /// <summary>An HttpClient through <see cref="CreateHttpHandler"/>, for a typed client of a namespaced daemon.</summary>
    private protected HttpClient NamespacedHttpClient() => new(CreateHttpHandler()) { Timeout = TimeSpan.FromSeconds(60) };

    private HttpClient NewHttp()
    {
        var h = new HttpClient(CreateHttpHandler()) { BaseAddress = ControlUrl, Timeout = TimeSpan.FromSeconds(60) };
        h.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return h;
    }

    protected virtual void DisposeClients() { }

    public async ValueTask DisposeAsync()
    {
        DisposeClients();
        DisposeCredentialClients();
        _http?.Dispose();
        _certificate?.Dispose();
        if (Process is not null) await Process.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [GeneratedRegex(@"ready: control (\S+?),")]
    private static partial Regex ControlInReadyLine();
}
