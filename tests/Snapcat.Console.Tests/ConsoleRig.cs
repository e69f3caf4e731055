using Microsoft.Playwright;
using Snapcat.Contracts.Server;
using Snapcat.TestKit;

namespace Snapcat.Console.Tests;

/// <summary>
/// One system for every console test, started once: a real array (primary with an ext4 file system at port 0 LUN 1, a
/// mirror secondary, a spare), a real agent for host <see cref="Host"/> with a restore port and two hooks, and the
/// backup server as a child process over HTTPS with a tape library and three credentials (admin, operator "ops",
/// read-only "viewer"). One browser — Debian's chromium, headless — is shared; each test opens its own context
/// (its own cookies), so a session never leaks from one test into the next.
/// A "seed" mirror backup is taken through the REST API at start, so the catalog has a backup to look at.
/// </summary>
public sealed class ConsoleRig : IAsyncLifetime
{
    public const string Host = "web01";
    public const string MountPoint = "/srv/app";
    public const string DeviceId = "ARRAY-C1";
    public const string VolumeSize = "32M";
    public const string Operator = "ops";
    public const string Viewer = "viewer";
    public static readonly byte[] AppConf = "listen = 8080\nowner = console-test\n"u8.ToArray();

    private SnapcatSystem? _system;
    private IPlaywright? _playwright;
    private ArrayNode? _array;

    public SnapcatSystem System => _system ?? throw new InvalidOperationException("not started");
    public ServerNode Server => System.Server;
    public ServerClient Admin => Server.Client;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl => Server.ControlUrl.ToString().TrimEnd('/');
    public string RestoreDirectory => System.Dir.Combine("restored");
    public string GateRelease => System.Dir.Combine("gate.release");
    public uint Secondary { get; private set; }
    public uint Spare { get; private set; }
    public long SeedBackup { get; private set; }

    public string TokenOf(string credential) => Server.TokenOf(credential);
    public string AdminToken => Server.Token;

    public async Task InitializeAsync()
    {
        _system = new SnapcatSystem("console");
        _array = _system.AddArray(DeviceId);
        var primary = _array.AddVolume(VolumeSize, port: 0, lun: 1);
        var secondary = _array.AddVolume(VolumeSize, mirrorOf: primary);
        var spare = _array.AddVolume(VolumeSize);
        var agent = _system.AddAgent(Host);
        agent.Protect(MountPoint, "/dev/nbd0", _array.Port(0), 1);
        agent.AddRestorePort(_array.Port(1), 7, "restore-7");
        Directory.CreateDirectory(RestoreDirectory);
        agent.RestoreDestinations.Add(RestoreDirectory);
        agent.AddHook("freeze", "/bin/true", [], timeoutSeconds: 60);
        agent.AddHook("thaw", "/bin/true", [], timeoutSeconds: 60);
        // "gate" holds a backup in its preprocess until the test creates GateRelease: the page must show it running.
        agent.AddHook("gate", "/bin/sh", ["-c", $"while [ ! -f '{GateRelease}' ]; do sleep 0.1; done"], timeoutSeconds: 120);
        _system.AddServer(s =>
        {
            s.WithTapeLibrary(capacity: "256M", slots: 4);
            s.WithCredential(Operator, "operator");
            s.WithCredential(Viewer, "read-only");
        });
        // Playwright's driver starts while the daemons do.
        var playwright = StartBrowserAsync();
        await _array.StartAsync();
        await WriteExt4PrimaryAsync();
        await _system.StartAsync();
        Secondary = secondary.RequireNumber();
        Spare = spare.RequireNumber();
        await playwright;

        await Admin.CreateDefinitionAsync(Mirror("seed", "seed"));
        var job = await Admin.RunDefinitionAsync("seed");
        ServerClient.EnsureSucceeded(await Admin.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(120)));
        SeedBackup = Assert.Single(await Admin.SearchBackupsAsync(new BackupDataFilter { Definition = "seed" })).Id;
    }

    public DefinitionDto Mirror(string name, string label) => new()
    {
        Name = name, Host = Host, MountPoint = MountPoint, Kind = "mirror", DeviceId = DeviceId, DestinationVolume = Secondary, Label = label,
        PreHook = "freeze", PostHook = "thaw",
    };

    /// <summary>A snapshot backup of the primary whose preprocess is the "gate" hook.</summary>
    public DefinitionDto GatedSnapshot(string name, string label) => new()
    {
        Name = name, Host = Host, MountPoint = MountPoint, Kind = "snapshot", DeviceId = DeviceId, Label = label, KeepGenerations = 3,
        PreHook = "gate", PostHook = "thaw",
    };

    /// <summary>An ext4 file system (mke2fs -d) holding etc/app.conf, written over the primary with nbdcopy.</summary>
    private async Task WriteExt4PrimaryAsync()
    {
        string content = System.Dir.Combine("content");
        Directory.CreateDirectory(Path.Combine(content, "etc"));
        await File.WriteAllBytesAsync(Path.Combine(content, "etc", "app.conf"), AppConf);
        string image = System.Dir.Combine("primary.img");
        (await Tool.RunAsync("mke2fs", ["-q", "-F", "-t", "ext4", "-d", content, image, VolumeSize])).EnsureSuccess("mke2fs");
        (await Tool.RunAsync("nbdcopy", [image, _array!.Port(0).NbdUri(1)])).EnsureSuccess("nbdcopy");
    }

    private async Task StartBrowserAsync()
    {
        // The system's browser only: never a download (there is no internet, and test.sh installs chromium).
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // Root in a container has no user namespaces for chromium's sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh browser context (no cookies) that trusts the server's test certificate, and a page in it.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            // The server's certificate is made for the run; the REST clients pin it, the browser is told to accept it.
            IgnoreHTTPSErrors = true,
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        // Script errors of the console show in the test log (dotnet test --logger "console;verbosity=detailed").
        page.PageError += (_, e) => global::System.Console.WriteLine($"console page error: {e}");
        page.Console += (_, m) =>
        {
            if (m.Type == "error") global::System.Console.WriteLine($"console script error: {m.Text}");
        };
        return (context, page);
    }

    /// <summary>Opens the console and logs in with <paramref name="token"/>; returns once the dashboard shows.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> LoginAsync(string token)
    {
        var (context, page) = await NewPageAsync();
        await page.GotoAsync("/console/");
        await page.GetByTestId("token").FillAsync(token);
        await page.GetByTestId("login").ClickAsync();
        await page.Locator("#page > [data-page=dashboard] h1").WaitForAsync();
        return (context, page);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_system is not null) await _system.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleRig>
{
    public const string Name = "console";
}
