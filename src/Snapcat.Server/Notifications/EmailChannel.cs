using System.Globalization;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Snapcat.Server.Notifications;

/// <summary>
/// One plain-text mail per notification to every address of <c>notifications.email.to</c>, through MailKit: a new SMTP
/// connection each time (notifications are rare; a kept connection would time out between them), STARTTLS or
/// implicit TLS as configured with the system's trust store, and AUTH when a user name is given.
/// </summary>
public sealed class EmailChannel(EmailTarget target, TimeSpan? timeout = null) : INotificationChannel
{
    private readonly int _timeoutMs = (int)(timeout ?? TimeSpan.FromSeconds(60)).TotalMilliseconds;

    public string Name => $"e-mail to {string.Join(", ", target.To)} via {target.Host}:{target.Port}";

    public IReadOnlySet<string> Events => target.Events;

    public static MimeMessage Message(Notification n, EmailTarget target)
    {
        ArgumentNullException.ThrowIfNull(n);
        ArgumentNullException.ThrowIfNull(target);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(target.From));
        foreach (string to in target.To) message.To.Add(MailboxAddress.Parse(to));
        message.Subject = $"[snapcat {n.Server}] {n.Summary}";
        message.Headers.Add("X-Snapcat-Event", n.Kind);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{n.Summary}\n\nkind: {n.Kind}\ntime: {n.Time:u}\nserver: {n.Server}\nsubject: {n.Subject}\n");
        foreach (var (key, value) in n.Details)
            if (value is not null) text.Append(CultureInfo.InvariantCulture, $"{key}: {value}\n");
        message.Body = new TextPart("plain") { Text = text.ToString() };
        return message;
    }

    public async Task SendAsync(Notification notification, CancellationToken ct)
    {
        using var message = Message(notification, target);
        using var smtp = new SmtpClient { Timeout = _timeoutMs };
        var options = target.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        await smtp.ConnectAsync(target.Host, target.Port, options, ct).ConfigureAwait(false);
        if (target.UserName is { } user)
            await smtp.AuthenticateAsync(user, target.Password ?? "", ct).ConfigureAwait(false);
        await smtp.SendAsync(message, ct).ConfigureAwait(false);
        await smtp.DisconnectAsync(true, ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
    }
}
