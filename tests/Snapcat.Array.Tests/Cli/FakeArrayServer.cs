using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Snapcat.Core.Errors;
using Snapcat.TestKit;

namespace Snapcat.Array.Tests.Cli;

/// <summary>
/// A tiny HTTP server on a free loopback port that answers each request with whatever the test's
/// handler decides, and records what it received. It stands in for the array only to pin the client's
/// side of the wire (status codes, error bodies, escaping); the real daemon is tested end to end.
/// </summary>
public sealed class FakeArrayServer : IDisposable
{
    public sealed record Request(string Method, string RawPath, string? Authorization, byte[] Body);

    public sealed record Reply(int Status, byte[] Body, string ContentType)
    {
        public static Reply Json(int status, object value) =>
            new(status, JsonSerializer.SerializeToUtf8Bytes(value, new JsonSerializerOptions(JsonSerializerDefaults.Web)), "application/json");

        public static Reply Error(int status, string code, string message) => Json(status, new ErrorBody(new ErrorDetail(code, message)));

        public static Reply Empty(int status) => new(status, [], "text/plain");

        public static Reply Bytes(byte[] body) => new(200, body, "application/octet-stream");

        public static Reply Text(int status, string body) => new(status, Encoding.UTF8.GetBytes(body), "text/html");
    }

    private readonly HttpListener _listener = new();
    private readonly Func<Request, Reply> _handler;
    private readonly Task _loop;

    public FakeArrayServer(Func<Request, Reply> handler)
    {
        _handler = handler;
        // FreePort can race with another test taking the same port; retry a few times.
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort.Next();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(Url + "/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }
    public ConcurrentQueue<Request> Requests { get; } = new();

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            var request = new Request(ctx.Request.HttpMethod, ctx.Request.RawUrl ?? "", ctx.Request.Headers["Authorization"], body.ToArray());
            Requests.Enqueue(request);
            Reply reply;
            try { reply = _handler(request); }
            catch (Exception ex) { reply = Reply.Text(500, "handler failed: " + ex.Message); }
            ctx.Response.StatusCode = reply.Status;
            ctx.Response.ContentType = reply.ContentType;
            ctx.Response.ContentLength64 = reply.Body.Length;
            if (reply.Body.Length > 0) await ctx.Response.OutputStream.WriteAsync(reply.Body);
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
