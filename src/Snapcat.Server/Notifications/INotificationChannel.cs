namespace Snapcat.Server.Notifications;

/// <summary>One place notifications go (a webhook, the e-mail recipients). A send that throws is retried by the <see cref="Notifier"/>.</summary>
public interface INotificationChannel : IDisposable
{
    /// <summary>The target in log lines, without secrets (the webhook's URL, "e-mail to ops@…").</summary>
    string Name { get; }

    IReadOnlySet<string> Events { get; }

    Task SendAsync(Notification notification, CancellationToken ct);
}
