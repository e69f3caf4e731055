using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Snapcat.ControlApi.Client;

namespace Snapcat.Server.Notifications;

/// <summary>
/// A JSON POST of the <see cref="Notification"/> to a webhook. With a secret, the header <c>X-Snapcat-Signature:
/// sha256=HEX</c> carries HMAC-SHA256(secret, body) over the exact body bytes (as GitHub's X-Hub-Signature-256), so
/// the receiver can check origin and integrity; <c>X-Snapcat-Event</c> names the kind. Any answer but 2xx is a failure
/// (retried). An https:// URL is checked as the other peers are (pinned fingerprint, CA file, or system trust).
/// </summary>
public sealed class WebhookChannel : INotificationChannel
{
    public const string SignatureHeader = "X-Snapcat-Signature";
    public const string EventHeader = "X-Snapcat-Event";

    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly WebhookTarget _target;
    private readonly HttpClient _http;

    public WebhookChannel(WebhookTarget target, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _http = new HttpClient(new PeerCertificateCheck(target.Trust, "webhook", "notify.webhook", target.Url).CreateHandler())
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    public string Name => $"webhook {_target.Url.GetLeftPart(UriPartial.Path)}";

    public IReadOnlySet<string> Events => _target.Events;

    public static byte[] Body(Notification notification) => JsonSerializer.SerializeToUtf8Bytes(notification, BodyJson);

    /// <summary>The header value for <paramref name="body"/>: <c>sha256=</c> and the lower-case hex HMAC.</summary>
    public static string Signature(byte[] secret, ReadOnlySpan<byte> body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, body));

    public async Task SendAsync(Notification notification, CancellationToken ct)
    {
        byte[] body = Body(notification);
        using var request = new HttpRequestMessage(HttpMethod.Post, _target.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(EventHeader, notification.Kind);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("snapcat-server", "1"));
        if (_target.Secret is { } secret) request.Headers.Add(SignatureHeader, Signature(secret, body));
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{Name} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
