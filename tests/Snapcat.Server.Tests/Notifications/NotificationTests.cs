using System.Security.Cryptography;
using Snapcat.Core.Config;
using Snapcat.Core.Jobs;
using Snapcat.Core.Errors;
using Snapcat.Server.Config;
using Snapcat.Server.Hosting;
using Snapcat.Server.Notifications;
using Snapcat.TestKit;
using Snapcat.Contracts.Server;

namespace Snapcat.Server.Tests.Notifications;

/// <summary>The notifications section and the notifier, on an in-process server without peers and a real HTTP receiver.</summary>
public sealed class NotificationTests : IDisposable
{
    private readonly TempDir _dir = new("notify");

    public void Dispose() => _dir.Dispose();

    private static readonly NotifierOptions Fast = new() { FirstRetryDelay = TimeSpan.FromMilliseconds(50) };

    private ServerConfig Config(NotificationsConfig notifications) => new()
    {
        Control = new ServerControlConfig { Listen = "127.0.0.1:0", Token = "tok-1", Insecure = true },
        Notifications = notifications,
    };

    private LoadedServerConfig Load(NotificationsConfig notifications)
    {
        string path = _dir.Combine("server.json");
        ConfigFile.Write(path, Config(notifications));
        var loaded = ServerConfigLoader.Load(path);
        return loaded with { Notifications = loaded.Notifications with { Delivery = Fast } };
    }

    [Fact]
    public void An_unknown_event_kind_is_refused_naming_it_with_every_other_problem()
    {
        string path = _dir.Combine("server.json");
        File.WriteAllText(path, """
            {
              "control": { "insecure": true, "listen": "127.0.0.1:8480", "token": "t" },
              "notifications": {
                "webhooks": [ { "url": "ftp://hooks.example/x", "events": ["run_failed", "run_faild"] } ],
                "email": { "smtp": { "host": "mail.example.org", "security": "ssl" }, "from": "not an address", "to": ["ops@example.org", "ops"],
                           "events": ["disk_full"] },
                "diskFullPercent": 120
              }
            }
            """);
        var ex = Assert.Throws<SnapcatException>(() => ServerConfigLoader.Load(path));
        Assert.Equal("config.invalid", ex.Code);
        Assert.Contains("notifications.webhooks[0].events: 'run_faild' is not an event kind; known kinds: run_failed, run_missed, cartridge_damaged, disk_nearly_full, drift_found", ex.Message);
        Assert.Contains("notifications.email.events: 'disk_full' is not an event kind", ex.Message);
        Assert.Contains("notifications.webhooks[0].url 'ftp://hooks.example/x' is not an http:// or https:// URL", ex.Message);
        Assert.Contains("notifications.email.smtp.security 'ssl' is not one of none, starttls, tls", ex.Message);
        Assert.Contains("notifications.email.from 'not an address' is not an e-mail address", ex.Message);
        Assert.Contains("notifications.email.to 'ops' is not an e-mail address", ex.Message);
        Assert.Contains("notifications.diskFullPercent 120 is not between 1 and 100", ex.Message);
        Assert.DoesNotContain("'run_failed' is not", ex.Message);
    }

    [Fact]
    public void A_good_section_reads_secret_and_password_files_and_defaults()
    {
        File.WriteAllText(_dir.Combine("hook.secret"), "k3y\n");
        File.WriteAllText(_dir.Combine("smtp.pass"), "p4ss\n");
        var n = Load(new NotificationsConfig
        {
            Webhooks = [new WebhookConfig { Url = "http://127.0.0.1:9/hook", SecretFile = "hook.secret" }],
            Email = new EmailNotificationConfig
            {
                Smtp = new SmtpConfig { Host = "mail.example.org", UserName = "snapcat", PasswordFile = "smtp.pass" },
                From = "Snapcat <snapcat@example.org>", To = ["ops@example.org"], Events = ["run_failed"],
            },
        }).Notifications;
        var hook = Assert.Single(n.Webhooks);
        Assert.Equal("k3y"u8.ToArray(), hook.Secret);
        Assert.Equal(NotificationKind.All.Order(), hook.Events.Order());   // events left out: every kind
        Assert.Equal(587, n.Email!.Port);
        Assert.Equal(SmtpSecurity.StartTls, n.Email.Security);
        Assert.Equal("p4ss", n.Email.Password);
        Assert.Equal(["run_failed"], n.Email.Events);
        Assert.Equal(90, n.DiskFullPercent);
    }

    [Fact]
    public async Task A_webhook_answering_500_twice_gets_the_failed_job_on_the_third_try_and_the_job_is_unaffected()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = n => n < 2 ? 500 : 200;
        File.WriteAllText(_dir.Combine("hook.secret"), "k3y");
        var config = Load(new NotificationsConfig
        {
            Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.RunFailed], SecretFile = "hook.secret" }],
        });
        await using var host = await ServerHost.StartAsync(config);
        using var client = new ServerClient(new Uri(host.ControlUrl), "tok-1");

        // A catalog rebuild with no arrays configured fails at once (rebuild.no_arrays).
        var job = await client.RebuildAsync(new RebuildRequest());
        var final = await client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Failed, final.State);
        Assert.Equal("rebuild.no_arrays", final.ErrorCode);

        // The notifier counts a delivery when the 200 reached it, a moment after the receiver recorded the request.
        await Poll.UntilAsync(() => receiver.Accepted.Count == 1 && host.Notifier.Delivered == 1, TimeSpan.FromSeconds(30), "the webhook accepted the event");
        var all = receiver.Requests.ToArray();
        Assert.Equal([500, 500, 200], all.Select(r => r.Status));
        // The same event each time, signed.
        Assert.All(all, r => Assert.Equal(all[0].Body, r.Body));
        var got = all[2];
        Assert.Equal("/hook", got.Path);
        Assert.Equal("run_failed", got.Kind);
        Assert.Equal("run_failed", got.Headers["X-Snapcat-Event"]);
        Assert.Equal(job.Id, got.Detail("jobId"));
        Assert.Equal("rebuild.no_arrays", got.Detail("errorCode"));
        Assert.Equal(Environment.MachineName, got.Json["server"]!.GetValue<string>());
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("k3y"u8, got.Body)), got.Headers["X-Snapcat-Signature"]);
        Assert.Equal(1, host.Notifier.Delivered);
        Assert.Equal(0, host.Notifier.Failed);

        // The job's outcome and history are what they would be without a webhook.
        await Poll.UntilAsync(() => host.Runtime.Jobs.PendingSaves == 0, TimeSpan.FromSeconds(10), "history saved");
        var saved = await host.Runtime.History.GetAsync(job.Id);
        Assert.Equal(JobState.Failed, saved?.State);
        Assert.Equal("rebuild.no_arrays", saved?.ErrorCode);
    }

    [Fact]
    public async Task A_webhook_that_never_answers_2xx_is_given_up_after_the_retries_and_the_server_goes_on()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => 503;
        var config = Load(new NotificationsConfig { Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.RunFailed] }] });
        config = config with { Notifications = config.Notifications with { Delivery = Fast with { Retries = 2 } } };
        await using var host = await ServerHost.StartAsync(config);
        using var client = new ServerClient(new Uri(host.ControlUrl), "tok-1");
        var job = await client.RebuildAsync(new RebuildRequest());
        Assert.Equal(JobState.Failed, (await client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30))).State);
        await Poll.UntilAsync(() => host.Notifier.Failed == 1, TimeSpan.FromSeconds(30), "the notifier gave up");
        Assert.Equal(3, receiver.Requests.Count);   // the first try and two retries
        Assert.Equal(0, host.Notifier.Delivered);
        // The server still answers.
        Assert.Empty(await client.ListDefinitionsAsync());
    }

    [Fact]
    public async Task A_nearly_full_disk_is_reported_once_per_hour_not_at_every_check()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // 1 %: any real file system is fuller than that.
        var config = Load(new NotificationsConfig
        {
            Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.DiskNearlyFull] }],
            DiskFullPercent = 1,
        });
        await using var host = await ServerHost.StartAsync(config);
        // The watch looks at once when the server starts: the catalog's folder (also the configuration's).
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "a disk_nearly_full event");
        var got = Assert.Single(receiver.Accepted);
        Assert.Equal("disk_nearly_full", got.Kind);
        Assert.Equal(_dir.Path, got.Json["subject"]!.GetValue<string>());
        Assert.Equal("catalog", got.Detail("what"));
        Assert.Equal("1", got.Detail("thresholdPercent"));
        Assert.True(long.Parse(got.Detail("totalBytes")!, System.Globalization.CultureInfo.InvariantCulture) > 0);

        // A second look finds it full again, and the rate limit holds it back.
        var watch = DiskSpaceWatch.For(config, host.Notifier);
        Assert.Equal([_dir.Path], watch.CheckOnce());
        Assert.Equal(1, host.Notifier.Queued);
    }

    [Fact]
    public async Task A_kind_a_target_did_not_subscribe_to_is_not_sent_there()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var config = Load(new NotificationsConfig { Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.RunMissed] }] });
        await using var host = await ServerHost.StartAsync(config);
        using var client = new ServerClient(new Uri(host.ControlUrl), "tok-1");
        var job = await client.RebuildAsync(new RebuildRequest());
        Assert.Equal(JobState.Failed, (await client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30))).State);
        await Poll.UntilAsync(() => host.Runtime.Jobs.PendingSaves == 0, TimeSpan.FromSeconds(10), "history saved");
        Assert.Equal(0, host.Notifier.Queued);   // Publish is synchronous: nothing was queued for run_failed
        // drift_found has its method already; a subscriber of run_missed does not get it either.
        host.Notifier.DriftFound("nightly", "backup 7 is in the catalog but not on ARRAY-01", definition: "nightly");
        Assert.Equal(0, host.Notifier.Queued);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task Runs_missed_while_the_server_was_down_are_reported_as_run_missed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var config = Load(new NotificationsConfig { Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.RunMissed] }] });
        await using var host = await ServerHost.StartAsync(config);
        // A definition stored three hours ago with an hourly schedule and no run since: the occurrences passed unseen.
        await host.Runtime.Definitions.CreateAsync(new Snapcat.Server.Catalog.BackupDefinition
        {
            Name = "hourly", Host = "db01", MountPoint = "/data", Kind = "snapshot", DeviceId = "ARRAY-01", KeepGenerations = 3,
            Label = "hourly", Schedule = "0 * * * *", MissedRuns = "skip", Created = DateTimeOffset.UtcNow.AddHours(-3),
        });
        host.Scheduler.Wake();
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "a run_missed event");
        var got = Assert.Single(receiver.Accepted);
        Assert.Equal("run_missed", got.Kind);
        Assert.Equal("hourly", got.Detail("definition"));
        Assert.Contains("skipped as the definition says", got.Detail("message"));
        Assert.Contains(host.Scheduler.RecentEvents(), e => e.Definition == "hourly" && e.What == "missed" && e.Detail == got.Detail("message"));
    }

    [Fact]
    public async Task A_cartridge_found_damaged_is_reported_once_not_at_every_listing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var config = Load(new NotificationsConfig { Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.CartridgeDamaged] }] });
        config = config with { TapeLibrary = new Snapcat.Server.Tape.TapeLibraryConfig { LibraryId = "TAPE-01", Directory = _dir.Combine("tapes"), Capacity = "1M", Slots = 4 } };
        await using var host = await ServerHost.StartAsync(config);
        using var client = new ServerClient(new Uri(host.ControlUrl), "tok-1");
        string serial = Assert.Single(await host.Runtime.Tapes!.LabelAsync(1));
        Assert.Equal(["empty"], (await client.ListCartridgesAsync()).Select(c => c.State));
        Assert.Empty(receiver.Requests);

        // The cartridge's VOL1 label is no longer one.
        string image = host.Runtime.Tapes.PathOf(serial);
        byte[] bytes = File.ReadAllBytes(image);
        int at = bytes.AsSpan().IndexOf("VOL1"u8);
        bytes[at] = (byte)'X';
        File.WriteAllBytes(image, bytes);

        Assert.Equal(["damaged"], (await client.ListCartridgesAsync()).Select(c => c.State));
        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1, TimeSpan.FromSeconds(30), "a cartridge_damaged event");
        var got = Assert.Single(receiver.Accepted);
        Assert.Equal("cartridge_damaged", got.Kind);
        Assert.Equal(serial, got.Detail("volumeSerial"));
        Assert.Equal("TAPE-01", got.Detail("libraryId"));
        Assert.False(string.IsNullOrEmpty(got.Detail("message")));

        Assert.Equal(["damaged"], (await client.ListCartridgesAsync()).Select(c => c.State));
        Assert.Equal(1, host.Notifier.Queued);   // the second listing saw it again; the rate limit held it back
    }

    [Fact]
    public async Task An_https_webhook_is_checked_as_the_other_peers_are_and_a_wrong_pin_is_never_sent_to()
    {
        using var certificate = Snapcat.Core.Tls.ControlCertificate.Create();
        await using var receiver = await WebhookReceiver.StartAsync(certificate);
        Assert.Equal("https", receiver.Url.Scheme);
        var config = Load(new NotificationsConfig
        {
            Webhooks =
            [
                new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.RunFailed], Fingerprint = Snapcat.Core.Tls.CertificateFingerprint.Show(certificate) },
                new WebhookConfig { Url = receiver.Url + "?pin=wrong", Events = [NotificationKind.RunFailed], Fingerprint = Snapcat.Core.Tls.CertificateFingerprint.Format(new byte[32]) },
            ],
        });
        config = config with { Notifications = config.Notifications with { Delivery = Fast with { Retries = 1 } } };
        await using var host = await ServerHost.StartAsync(config);
        using var client = new ServerClient(new Uri(host.ControlUrl), "tok-1");
        var job = await client.RebuildAsync(new RebuildRequest());
        Assert.Equal(JobState.Failed, (await client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(30))).State);
        await Poll.UntilAsync(() => host.Notifier.Delivered == 1 && host.Notifier.Failed == 1, TimeSpan.FromSeconds(30), "one webhook delivered, the other given up");
        var got = Assert.Single(receiver.Requests);   // the wrong pin ended the TLS handshake: no request reached the receiver
        Assert.Equal("run_failed", got.Kind);
        Assert.Equal(job.Id, got.Detail("jobId"));
    }
}
