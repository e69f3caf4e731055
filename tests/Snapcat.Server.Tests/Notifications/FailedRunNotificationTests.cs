using System.Globalization;
using Snapcat.Core.Jobs;
using Snapcat.Server.Config;
using Snapcat.Server.Notifications;
using Snapcat.Server.Tests.Fixtures;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Notifications;

/// <summary>
/// A scheduled run that fails on the real system (array, agent, server) warns by webhook and e-mail: a real SMTP sink
/// (netDumbster) and a Kestrel receiver in the test process, both on 127.0.0.1.
/// </summary>
public sealed class FailedRunNotificationTests
{
    [Fact]
    public async Task A_failed_scheduled_run_sends_one_email_and_one_webhook_with_its_job_and_definition()
    {
        using var smtp = new SmtpSink();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var f = await ServerRig.StartAsync();
        // The server again, now with notifications: the webhook and mail for run_failed only.
        await f.StopServerAsync();
        f.ServerNode.Edit = c => c with
        {
            Notifications = new NotificationsConfig
            {
                Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.RunFailed] }],
                Email = new EmailNotificationConfig
                {
                    Smtp = new SmtpConfig { Host = "127.0.0.1", Port = smtp.Port, Security = "none" },
                    From = "snapcat@example.org", To = ["ops@example.org", "dba@example.org"], Events = [NotificationKind.RunFailed],
                },
            },
        };
        await f.StartServerAsync();

        await f.Client.CreateDefinitionAsync(ServerRig.Snapshot("nightly"));
        // The array goes away; then the definition gets a schedule that fires once, a few seconds from now.
        await f.ArrayNode.StopAsync();
        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        var def = await f.Client.GetDefinitionAsync("nightly");
        await f.Client.UpdateDefinitionAsync(def with { Schedule = string.Create(CultureInfo.InvariantCulture, $"{at.Second} {at.Minute} {at.Hour} * * *"), TimeZone = "UTC" });

        await Poll.UntilAsync(async () => (await f.Client.ListScheduleEventsAsync()).Any(e => e.Definition == "nightly" && e.What == "started"),
            TimeSpan.FromSeconds(90), "the scheduled run started");
        var job = (await f.Client.ListJobsAsync()).Single(j => j.Kind == "backup");
        var final = await f.Client.WaitForJobAsync(job.Id, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(JobState.Failed, final.State);

        await Poll.UntilAsync(() => receiver.Accepted.Count >= 1 && !smtp.Received.IsEmpty, TimeSpan.FromSeconds(30), "the webhook and the mail");
        await Poll.UntilAsync(() => f.Server!.Notifier.Delivered + f.Server.Notifier.Failed == f.Server.Notifier.Queued, TimeSpan.FromSeconds(30), "the notifier idle");
        Assert.Equal(2, f.Server!.Notifier.Queued);   // one event, two channels: nothing else was sent

        var hook = Assert.Single(receiver.Requests);
        Assert.Equal("run_failed", hook.Kind);
        Assert.Equal("nightly", hook.Json["subject"]!.GetValue<string>());
        Assert.Equal("nightly", hook.Detail("definition"));
        Assert.Equal(job.Id, hook.Detail("jobId"));
        Assert.Equal(final.ErrorCode, hook.Detail("errorCode"));
        Assert.Equal(final.ErrorMessage, hook.Detail("errorMessage"));
        Assert.False(hook.Headers.ContainsKey("X-Snapcat-Signature"));   // no secret configured

        var mail = Assert.Single(smtp.Received);
        Assert.Equal("snapcat@example.org", mail.EnvelopeFrom);
        Assert.Equal(["dba@example.org", "ops@example.org"], mail.EnvelopeTo.Order());
        Assert.Equal("snapcat@example.org", mail.Message.From.Mailboxes.Single().Address);
        Assert.Contains("job failed: nightly", mail.Message.Subject);
        Assert.Equal("run_failed", mail.Message.Headers["X-Snapcat-Event"]);
        string body = mail.Message.TextBody ?? "";
        Assert.Contains("kind: run_failed", body);
        Assert.Contains($"jobId: {job.Id}", body);
        Assert.Contains("definition: nightly", body);
        Assert.Contains($"errorCode: {final.ErrorCode}", body);
    }

    [Fact]
    public async Task An_array_whose_data_file_system_is_nearly_full_is_reported_and_status_shows_its_free_space()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var f = await ServerRig.StartAsync();
        await f.StopServerAsync();
        // 1 %: any real file system is fuller than that, the array's data directory's too.
        f.ServerNode.Edit = c => c with
        {
            Notifications = new NotificationsConfig
            {
                Webhooks = [new WebhookConfig { Url = receiver.Url.ToString(), Events = [NotificationKind.DiskNearlyFull] }],
                DiskFullPercent = 1,
            },
        };
        await f.StartServerAsync();
        var info = await f.ArrayNode.Client.GetArrayAsync();
        Assert.True(info.DataTotalBytes > 0 && info.DataFreeBytes >= 0, $"the array reported no data file system space: {info}");

        string deviceId = info.DeviceId;
        await Poll.UntilAsync(() => receiver.Accepted.Any(r => r.Detail("what") == $"array {deviceId} data file system"),
            TimeSpan.FromSeconds(60), "a disk_nearly_full event for the array");
        var hook = receiver.Accepted.First(r => r.Detail("what") == $"array {deviceId} data file system");
        Assert.Equal("disk_nearly_full", hook.Kind);
        Assert.Equal($"{deviceId}:data", hook.Detail("path"));
        Assert.True(long.Parse(hook.Detail("totalBytes")!, CultureInfo.InvariantCulture) > 0);

        var status = await f.Client.GetStatusAsync();
        var array = Assert.Single(status.Arrays, a => a.DeviceId == deviceId);
        Assert.True(array.Reachable);
        Assert.NotNull(array.FreeBytes);
    }
}
