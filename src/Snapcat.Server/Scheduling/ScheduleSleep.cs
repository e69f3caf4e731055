namespace Snapcat.Server.Scheduling;

/// <summary>
/// The wait between two ticks of a schedule loop (backup definitions, verify plans): until the next due occurrence,
/// at least 20 ms and at most 30 s (so a schedule made elsewhere is seen), cut short by <see cref="Wake"/>.
/// </summary>
public sealed class ScheduleSleep(TimeProvider time)
{
    private CancellationTokenSource _wake = new();

    /// <summary>Sleeps until <paramref name="next"/> (30 s when null) or a <see cref="Wake"/>; false when <paramref name="ct"/> ended the wait (stop the loop).</summary>
    public async Task<bool> UntilAsync(DateTimeOffset? next, CancellationToken ct)
    {
        TimeSpan wait = next is { } n ? n - time.GetUtcNow() : TimeSpan.FromSeconds(30);
        wait = TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds, 20, 30_000));
        using var sleep = CancellationTokenSource.CreateLinkedTokenSource(ct, Volatile.Read(ref _wake).Token);
        try
        {
            await Task.Delay(wait, time, sleep.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Woken: something was created or changed; look again now.
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return true;
    }

    /// <summary>Ends the current wait so a new or changed schedule is seen at once.</summary>
    public void Wake()
    {
        var old = Interlocked.Exchange(ref _wake, new CancellationTokenSource());
        // Not disposed: UntilAsync may be reading its token this instant; a cancelled source holds no timer.
        old.Cancel();
    }
}
