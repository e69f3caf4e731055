using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace Snapcat.Server.Tests.Notifications;

/// <summary>
/// A real SMTP server in the test process (RFC 5321 without extensions: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
/// QUIT), on 127.0.0.1 port 0, keeping each message as MimeKit parses it with its envelope. Written here instead of
/// netDumbster, which binds every interface and picks its port by probing (the test rules want loopback and port 0).
/// </summary>
public sealed class SmtpSink : IDisposable
{
    public sealed record Mail(string EnvelopeFrom, IReadOnlyList<string> EnvelopeTo, MimeMessage Message);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public SmtpSink()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(AcceptAsync);
    }

    public int Port { get; }
    public ConcurrentQueue<Mail> Received { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var c = client;
        var stream = c.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 127.0.0.1 snapcat test sink");
        string from = "";
        var to = new List<string>();
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            string verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-127.0.0.1");
                    await writer.WriteLineAsync("250 8BITMIME");
                    break;
                case "HELO" or "NOOP":
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "MAIL":
                    from = Address(line);
                    to.Clear();
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "RCPT":
                    to.Add(Address(line));
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "RSET":
                    (from, to) = ("", []);
                    await writer.WriteLineAsync("250 ok");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync(_stop.Token) is { } d && d != ".")
                        data.Append(d.StartsWith("..", StringComparison.Ordinal) ? d[1..] : d).Append("\r\n");   // dot-stuffing, RFC 5321 4.5.2
                    using (var m = new MemoryStream(Encoding.UTF8.GetBytes(data.ToString())))
                        Received.Enqueue(new Mail(from, to.ToArray(), await MimeMessage.LoadAsync(m)));
                    await writer.WriteLineAsync("250 queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 command not implemented");
                    break;
            }
        }
    }

    private static string Address(string line)
    {
        int lt = line.IndexOf('<', StringComparison.Ordinal), gt = line.IndexOf('>', StringComparison.Ordinal);
        return lt >= 0 && gt > lt ? line[(lt + 1)..gt] : "";
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _accept.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _stop.Dispose();
    }
}
