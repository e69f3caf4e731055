namespace Snapcat.Server.Config;

// The "notifications" section of server.json (docs/notifications.md), e.g.
// "notifications": {
//   "webhooks": [ { "url": "https://hooks.example/snapcat", "events": ["run_failed", "run_missed"], "secretFile": "hook.secret",
//                   "fingerprint": "AB:CD:…" } ],                  // or "caFile"; neither: the system's trust store
//   "email": { "smtp": { "host": "mail.example", "port": 587, "security": "starttls", "userName": "snapcat", "passwordFile": "smtp.pass" },
//              "from": "snapcat@example.org", "to": ["ops@example.org"], "events": ["run_failed", "disk_nearly_full"] },
//   "diskFullPercent": 90                                          // default 90
// }
// Event kinds: run_failed, run_missed, cartridge_damaged, disk_nearly_full, drift_found.

public sealed record NotificationsConfig
{
    public IReadOnlyList<WebhookConfig>? Webhooks { get; init; }
    public EmailNotificationConfig? Email { get; init; }
    /// <summary>A watched file system more used than this (1..100) is reported as <c>disk_nearly_full</c>; default 90.</summary>
    public int? DiskFullPercent { get; init; }
}

public sealed record WebhookConfig
{
    public required string Url { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    /// <summary>A file holding the HMAC-SHA256 key of the <c>X-Snapcat-Signature</c> header; none: unsigned.</summary>
    public string? SecretFile { get; init; }
    /// <summary>As for the agents and arrays: a pinned SHA-256 fingerprint or a CA file for an https:// URL.</summary>
    public string? CaFile { get; init; }
    public string? Fingerprint { get; init; }
}

public sealed record EmailNotificationConfig
{
    public required SmtpConfig Smtp { get; init; }
    public required string From { get; init; }
    public required IReadOnlyList<string> To { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
}

public sealed record SmtpConfig
{
    public required string Host { get; init; }
    /// <summary>Default: 25 with security none, 587 with starttls, 465 with tls.</summary>
    public int? Port { get; init; }
    /// <summary><c>none</c>, <c>starttls</c> (default) or <c>tls</c>.</summary>
    public string? Security { get; init; }
    public string? UserName { get; init; }
    public string? PasswordFile { get; init; }
}
