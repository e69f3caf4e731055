using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Snapcat.Server.Notifications;

/// <summary>
/// Sends notifications to the configured channels without ever holding up or failing the caller (a job's end,
/// the scheduler, the tape library). Failure policy:
/// <list type="bullet">
/// <item><see cref="Publish"/> only enqueues: each channel has a bounded queue (<see cref="QueueCapacity"/>) and one
///   background worker; when a queue is full the event is dropped and logged, never waited for.</item>
/// <item>A failed send is retried <see cref="Retries"/> times with doubling delays from <see cref="FirstRetryDelay"/>
///   (capped at 5 minutes); the last failure is logged as an error and the event is dropped. Other channels go on.</item>
/// <item>Repeating conditions (a disk nearly full is seen at every check) are published with a rate limit: at most one
///   per <see cref="RepeatInterval"/> per channel, kind and subject.</item>
/// </list>
/// Nothing is persisted: events queued when the server stops are lost (the log has them).
/// </summary>
public sealed partial class Notifier : IAsyncDisposable
{
    private readonly List<Worker> _workers = [];
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private long _queued, _delivered, _failed, _dropped;

    public Notifier(IEnumerable<INotificationChannel> channels, ILogger? log = null, TimeProvider? time = null, string? serverName = null, NotifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        ServerName = serverName ?? Environment.MachineName;
        var o = options ?? new NotifierOptions();
        (Retries, FirstRetryDelay, RepeatInterval, QueueCapacity) = (o.Retries, o.FirstRetryDelay, o.RepeatInterval, o.QueueCapacity);
        foreach (var c in channels)
        {
            var w = new Worker(c, Channel.CreateBounded<Notification>(new BoundedChannelOptions(QueueCapacity)
            {
                FullMode = BoundedChannelFullMode.Wait,   // TryWrite then says "full" instead of silently dropping
                SingleReader = true,
            }));
            w.Loop = Task.Run(() => RunAsync(w), CancellationToken.None);
            _workers.Add(w);
        }
    }

    /// <summary>The channels of server.json's <c>notifications</c> section.</summary>
    public static Notifier FromSettings(NotificationSettings settings, ILogger? log = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var channels = new List<INotificationChannel>();
        channels.AddRange(settings.Webhooks.Select(w => new WebhookChannel(w)));
        if (settings.Email is { } e) channels.Add(new EmailChannel(e));
        return new Notifier(channels, log, time, options: settings.Delivery) { DiskFullPercent = settings.DiskFullPercent };
    }

    public string ServerName { get; }
    public int Retries { get; }
    public TimeSpan FirstRetryDelay { get; }
    public TimeSpan RepeatInterval { get; }
    public int QueueCapacity { get; }
    public int DiskFullPercent { get; init; } = NotificationSettings.DefaultDiskFullPercent;
    public bool HasChannels => _workers.Count > 0;

    /// <summary>Events queued for a channel, sends that succeeded, that failed after every retry, and events dropped (queue full); for tests and metrics.</summary>
    public long Queued => Interlocked.Read(ref _queued);
    public long Delivered => Interlocked.Read(ref _delivered);
    public long Failed => Interlocked.Read(ref _failed);
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="kind"/> for every channel that subscribed to it; returns at once.</summary>
    /// <param name="rateLimited">Skip a channel that got the same kind and subject less than <see cref="RepeatInterval"/> ago.</param>
    public void Publish(string kind, string subject, IReadOnlyDictionary<string, string?> details, bool rateLimited = false)
    {
        if (!NotificationKind.IsKnown(kind)) throw new ArgumentException($"'{kind}' is not a notification kind", nameof(kind));
        var now = _time.GetUtcNow();
        var n = new Notification(kind, now, ServerName, subject, details);
        foreach (var w in _workers)
        {
            if (!w.Channel.Events.Contains(kind)) continue;
            if (rateLimited)
            {
                string key = kind + "\n" + subject;
                lock (w.LastSent)
                {
                    if (w.LastSent.TryGetValue(key, out var last) && now - last < RepeatInterval) continue;
                    w.LastSent[key] = now;
                }
            }
            if (w.Queue.Writer.TryWrite(n)) Interlocked.Increment(ref _queued);
            else
            {
                Interlocked.Increment(ref _dropped);
                LogDropped(w.Channel.Name, n.Kind, n.Subject);
            }
        }
    }

    private async Task RunAsync(Worker w)
    {
        var ct = _stop.Token;
        try
        {
            await foreach (var n in w.Queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                await DeliverAsync(w.Channel, n, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(INotificationChannel channel, Notification n, CancellationToken ct)
    {
        TimeSpan delay = FirstRetryDelay;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await channel.SendAsync(n, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _delivered);
                LogSent(channel.Name, n.Kind, n.Subject);
                return;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                if (attempt >= Retries)
                {
                    Interlocked.Increment(ref _failed);
                    LogGaveUp(channel.Name, n.Kind, n.Subject, attempt + 1, ex.Message);
                    return;
                }
                LogRetry(channel.Name, n.Kind, n.Subject, attempt + 1, delay.TotalSeconds, ex.Message);
            }
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(5).Ticks));
        }
    }

    /// <summary>Lets the queues drain for up to 5 seconds, then cancels what is still being sent (a retry delay included).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers) w.Queue.Writer.TryComplete();
        var all = Task.WhenAll(_workers.Select(w => w.Loop!));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), _time)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await all.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        foreach (var w in _workers) w.Channel.Dispose();
        _stop.Dispose();
    }

    private sealed class Worker(INotificationChannel channel, Channel<Notification> queue)
    {
        public INotificationChannel Channel { get; } = channel;
        public Channel<Notification> Queue { get; } = queue;
        public Dictionary<string, DateTimeOffset> LastSent { get; } = new(StringComparer.Ordinal);
        public Task? Loop { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "notification {Kind} about {Subject} sent to {Channel}")]
    private partial void LogSent(string channel, string kind, string subject);

    [LoggerMessage(Level = LogLevel.Warning, Message = "notification {Kind} about {Subject} to {Channel} failed (attempt {Attempt}), retrying in {Seconds} s: {Reason}")]
    private partial void LogRetry(string channel, string kind, string subject, int attempt, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "notification {Kind} about {Subject} to {Channel} was not delivered after {Attempts} attempt(s): {Reason}")]
    private partial void LogGaveUp(string channel, string kind, string subject, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "notification {Kind} about {Subject} to {Channel} dropped: its queue is full, or the server is stopping")]
    private partial void LogDropped(string channel, string kind, string subject);
}

/// <summary>Retry and rate-limit settings of a <see cref="Notifier"/>; tests shorten the delays.</summary>
public sealed record NotifierOptions
{
    public int Retries { get; init; } = 5;
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromHours(1);
    public int QueueCapacity { get; init; } = 256;
}
