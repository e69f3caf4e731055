using Snapcat.Core.Tls;

namespace Snapcat.Server.Notifications;

/// <summary>The checked <c>notifications</c> section of server.json (<see cref="NotificationSettingsReader"/>); <see cref="None"/> when absent.</summary>
public sealed record NotificationSettings(IReadOnlyList<WebhookTarget> Webhooks, EmailTarget? Email, int DiskFullPercent)
{
    public const int DefaultDiskFullPercent = 90;

    public static readonly NotificationSettings None = new([], null, DefaultDiskFullPercent);

    public bool HasTargets => Webhooks.Count > 0 || Email is not null;

    /// <summary>Retries, delays and rate limit; not in server.json (the defaults serve), tests shorten them.</summary>
    public NotifierOptions Delivery { get; init; } = new();
}

/// <param name="Secret">The HMAC-SHA256 key of the signature header; null: requests are not signed.</param>
public sealed record WebhookTarget(Uri Url, IReadOnlySet<string> Events, byte[]? Secret, PeerTrust? Trust);

public enum SmtpSecurity
{
    None,
    StartTls,
    Tls,
}

public sealed record EmailTarget(string Host, int Port, SmtpSecurity Security, string? UserName, string? Password,
    string From, IReadOnlyList<string> To, IReadOnlySet<string> Events);
