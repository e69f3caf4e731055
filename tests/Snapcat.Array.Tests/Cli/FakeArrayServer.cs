using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Snapcat.TestKit;
using System.Text;
using System.Text.Json;
using Snapcat.Core.Errors;

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

    private readonly LoopbackHttpServer _server;
    private readonly Func<Request, Reply> _handler;

    public FakeArrayServer(Func<Request, Reply> handler)
    {
        _handler = handler;
#pragma warning disable VSTHRD002 // a test fixture's constructor: the server's start is awaited synchronously once
        _server = LoopbackHttpServer.StartAsync(app => app.Run(ServeAsync)).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    public string Url => _server.Url;
    public ConcurrentQueue<Request> Requests { get; } = new();

    private async Task ServeAsync(HttpContext ctx)
    {
        using var body = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted);
        string rawTarget = ctx.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        string? authorization = ctx.Request.Headers.Authorization.Count > 0 ? ctx.Request.Headers.Authorization.ToString() : null;
        var request = new Request(ctx.Request.Method, rawTarget, authorization, body.ToArray());
        Requests.Enqueue(request);
        Reply reply;
        try { reply = _handler(request); }
        catch (Exception ex) { reply = Reply.Text(500, "handler failed: " + ex.Message); }
        ctx.Response.StatusCode = reply.Status;
        ctx.Response.ContentType = reply.ContentType;
        ctx.Response.ContentLength = reply.Body.Length;
        if (reply.Body.Length > 0) await ctx.Response.Body.WriteAsync(reply.Body, ctx.RequestAborted);
    }

    public void Dispose()
    {
#pragma warning disable VSTHRD002 // IDisposable for `using var` in tests: the stop is awaited synchronously once
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }
}
