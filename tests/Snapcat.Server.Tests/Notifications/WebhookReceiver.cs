using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Snapcat.TestKit;

namespace Snapcat.Server.Tests.Notifications;

/// <summary>
/// A webhook endpoint in the test process: a <see cref="LoopbackHttpServer"/> (plain HTTP, or HTTPS with a certificate), recording every request and
/// answering with the status <see cref="Answer"/> picks for the request's number (0 first).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(int Number, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, int Status)
    {
        public JsonNode Json => JsonNode.Parse(Body)!;
        public string Kind => Json["kind"]!.GetValue<string>();
        public string? Detail(string name) => Json["details"]?[name]?.GetValue<string>();
    }

    private LoopbackHttpServer? _server;
    private int _count;

    private WebhookReceiver() { }

    public Func<int, int> Answer { get; set; } = _ => 200;
    public ConcurrentQueue<Received> Requests { get; } = new();
    public Uri Url { get; private set; } = null!;

    /// <summary>Requests answered 2xx: the events that arrived.</summary>
    public IReadOnlyList<Received> Accepted => Requests.Where(r => r.Status is >= 200 and < 300).ToList();

    /// <param name="certificate">Serve HTTPS with it; null: plain HTTP.</param>
    public static async Task<WebhookReceiver> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var receiver = new WebhookReceiver();
        receiver._server = await LoopbackHttpServer.StartAsync(app => app.Run(receiver.ServeAsync), certificate);
        receiver.Url = new Uri(receiver._server.Url + "/hook");
        return receiver;
    }

    private async Task ServeAsync(HttpContext ctx)
    {
        using var body = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted);
        int number = Interlocked.Increment(ref _count) - 1;
        int status = Answer(number);
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue(new Received(number, ctx.Request.Path, headers, body.ToArray(), status));
        ctx.Response.StatusCode = status;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
