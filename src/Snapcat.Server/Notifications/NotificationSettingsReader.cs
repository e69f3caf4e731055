using System.Text;
using MimeKit;
using Snapcat.Core.Config;
using Snapcat.Server.Config;

namespace Snapcat.Server.Notifications;

/// <summary>
/// Checks server.json's <c>notifications</c> section (<see cref="NotificationsConfig"/>) and adds every problem to the
/// loader's list: an unknown event kind is named with the known ones, URLs must be http(s), addresses must parse as
/// mailboxes, secret and password files must be readable and non-empty. Events left out mean every kind.
/// </summary>
public static class NotificationSettingsReader
{
    public static NotificationSettings Read(NotificationsConfig? raw, string baseDir, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (raw is null) return NotificationSettings.None;
        int percent = NotificationSettings.DefaultDiskFullPercent;
        if (raw.DiskFullPercent is { } p)
        {
            if (p is < 1 or > 100) problems.Add($"notifications.diskFullPercent {p} is not between 1 and 100");
            else percent = p;
        }

        var hooks = new List<WebhookTarget>();
        var list = raw.Webhooks ?? [];
        for (int i = 0; i < list.Count; i++)
        {
            string where = $"notifications.webhooks[{i}]";
            var w = list[i];
            if (w is null)
            {
                problems.Add($"{where} is null");
                continue;
            }
            int before = problems.Count;
            Uri? url = null;
            if (!Uri.TryCreate(w.Url, UriKind.Absolute, out url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"{where}.url '{w.Url}' is not an http:// or https:// URL");
                url = null;
            }
            var events = Events(w.Events, where, problems);
            byte[]? secret = w.SecretFile is null ? null : ReadSecret(w.SecretFile, $"{where}.secretFile", baseDir, problems) is { } s ? Encoding.UTF8.GetBytes(s) : null;
            var trust = PeerTrustSource.Read(w.CaFile, w.Fingerprint, url, where, baseDir, problems);
            if (problems.Count == before && url is not null) hooks.Add(new WebhookTarget(url, events, secret, trust));
        }

        EmailTarget? email = null;
        if (raw.Email is { } e)
        {
            int before = problems.Count;
            var smtp = e.Smtp;
            SmtpSecurity security = SmtpSecurity.StartTls;
            int port = 0;
            if (smtp is null) problems.Add("notifications.email.smtp is missing; give { \"host\": \"mail.example.org\" }");
            else
            {
                if (string.IsNullOrWhiteSpace(smtp.Host) || Uri.CheckHostName(smtp.Host) == UriHostNameType.Unknown)
                    problems.Add($"notifications.email.smtp.host '{smtp.Host}' is not a host name or address");
                switch (smtp.Security)
                {
                    case null or "starttls": security = SmtpSecurity.StartTls; break;
                    case "none": security = SmtpSecurity.None; break;
                    case "tls": security = SmtpSecurity.Tls; break;
                    default: problems.Add($"notifications.email.smtp.security '{smtp.Security}' is not one of none, starttls, tls"); break;
                }
                port = smtp.Port ?? security switch { SmtpSecurity.None => 25, SmtpSecurity.Tls => 465, _ => 587 };
                if (port is < 1 or > 65535) problems.Add($"notifications.email.smtp.port {port} is not between 1 and 65535");
                if (smtp.PasswordFile is not null && string.IsNullOrEmpty(smtp.UserName))
                    problems.Add("notifications.email.smtp: passwordFile is set without userName");
            }
            string? password = smtp?.PasswordFile is { } pf ? ReadSecret(pf, "notifications.email.smtp.passwordFile", baseDir, problems) : null;
            if (!IsMailbox(e.From)) problems.Add($"notifications.email.from '{e.From}' is not an e-mail address");
            var to = e.To ?? [];
            if (to.Count == 0) problems.Add("notifications.email.to is empty; give at least one address");
            foreach (string a in to)
                if (!IsMailbox(a)) problems.Add($"notifications.email.to '{a}' is not an e-mail address");
            var events = Events(e.Events, "notifications.email", problems);
            if (problems.Count == before && smtp is not null)
                email = new EmailTarget(smtp.Host, port, security, smtp.UserName, password, e.From, to, events);
        }
        return new NotificationSettings(hooks, email, percent);
    }

    private static HashSet<string> Events(IReadOnlyList<string>? events, string where, List<string> problems)
    {
        if (events is null) return NotificationKind.All.ToHashSet(StringComparer.Ordinal);
        if (events.Count == 0) problems.Add($"{where}.events is empty; leave it out for every kind, or name some of {string.Join(", ", NotificationKind.All)}");
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string k in events)
        {
            if (NotificationKind.IsKnown(k)) set.Add(k);
            else problems.Add($"{where}.events: '{k}' is not an event kind; known kinds: {string.Join(", ", NotificationKind.All)}");
        }
        return set;
    }

    /// <summary>A mailbox such as <c>ops@example.org</c> or <c>Ops &lt;ops@example.org&gt;</c>: one address with a local part and a domain.</summary>
    internal static bool IsMailbox(string? text) =>
        !string.IsNullOrWhiteSpace(text) && MailboxAddress.TryParse(text, out var m)
        && m.Address.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < m.Address.Length - 1;

    private static string? ReadSecret(string file, string where, string baseDir, List<string> problems)
    {
        string path = Path.GetFullPath(file, baseDir);
        try
        {
            string text = File.ReadAllText(path).Trim();
            if (text.Length > 0) return text;
            problems.Add($"{where} {path} is empty");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{where} {path} cannot be read: {ex.Message}");
        }
        return null;
    }
}
